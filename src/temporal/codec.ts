/**
 * AES-256-GCM payload codec. Worker, client and the codec endpoints share it, so webhook bodies,
 * headers and signing secrets are ciphertext in Temporal's history and visibility store; only a
 * holder of HOOKFLOW_ENCRYPTION_KEY (or the authorised Web UI, through the codec endpoints) reads them.
 */
import { createCipheriv, createDecipheriv, createHash, randomBytes } from 'node:crypto';
import type { Payload, PayloadCodec } from '@temporalio/common';
import { temporal } from '@temporalio/proto';
import { ConfigError } from '../errors';

const ENCODING = 'binary/encrypted';
const IV_BYTES = 12;
const TAG_BYTES = 16;
const utf8 = (s: string): Uint8Array => new TextEncoder().encode(s);
const fromUtf8 = (b: Uint8Array | null | undefined): string => new TextDecoder().decode(b ?? new Uint8Array());

export function parseEncryptionKey(base64: string): Buffer {
  const key = Buffer.from(base64, 'base64');
  if (key.length !== 32 || key.toString('base64').replace(/=+$/, '') !== base64.trim().replace(/=+$/, '')) {
    throw new ConfigError('HOOKFLOW_ENCRYPTION_KEY', 'must be the base64 encoding of exactly 32 bytes');
  }
  return key;
}

export function generateEncryptionKey(): string {
  return randomBytes(32).toString('base64');
}

export class AesGcmCodec implements PayloadCodec {
  /** Names the key without revealing it, so a payload encrypted under another key is recognisable. */
  readonly keyId: string;

  constructor(private readonly key: Buffer) {
    this.keyId = createHash('sha256').update(key).digest('hex').slice(0, 16);
  }

  async encode(payloads: Payload[]): Promise<Payload[]> {
    return payloads.map((payload) => {
      const iv = randomBytes(IV_BYTES);
      const cipher = createCipheriv('aes-256-gcm', this.key, iv);
      const plain = temporal.api.common.v1.Payload.encode(payload).finish();
      const data = Buffer.concat([iv, cipher.update(plain), cipher.final(), cipher.getAuthTag()]);
      return { metadata: { encoding: utf8(ENCODING), 'encryption-key-id': utf8(this.keyId) }, data };
    });
  }

  async decode(payloads: Payload[]): Promise<Payload[]> {
    return payloads.map((payload) => {
      if (fromUtf8(payload.metadata?.encoding) !== ENCODING) return payload;
      const keyId = fromUtf8(payload.metadata?.['encryption-key-id']);
      if (keyId !== this.keyId) {
        throw new Error(`payload was encrypted with key ${keyId}, this process holds key ${this.keyId}`);
      }
      const data = Buffer.from(payload.data ?? new Uint8Array());
      const decipher = createDecipheriv('aes-256-gcm', this.key, data.subarray(0, IV_BYTES));
      decipher.setAuthTag(data.subarray(data.length - TAG_BYTES));
      const plain = Buffer.concat([decipher.update(data.subarray(IV_BYTES, data.length - TAG_BYTES)), decipher.final()]);
      return temporal.api.common.v1.Payload.decode(plain);
    });
  }
}

/**
 * Encrypts a JSON value with the payload key (AES-256-GCM: IV, ciphertext, tag), for what
 * Hookflow keeps outside Temporal — the ledger's copy of each request.
 */
export function sealJson(key: Buffer, value: unknown): Buffer {
  const iv = randomBytes(IV_BYTES);
  const cipher = createCipheriv('aes-256-gcm', key, iv);
  return Buffer.concat([iv, cipher.update(JSON.stringify(value), 'utf8'), cipher.final(), cipher.getAuthTag()]);
}

export function openJson<T>(key: Buffer, sealed: Buffer): T {
  const decipher = createDecipheriv('aes-256-gcm', key, sealed.subarray(0, IV_BYTES));
  decipher.setAuthTag(sealed.subarray(sealed.length - TAG_BYTES));
  const plain = Buffer.concat([decipher.update(sealed.subarray(IV_BYTES, sealed.length - TAG_BYTES)), decipher.final()]);
  return JSON.parse(plain.toString('utf8')) as T;
}
