/**
 * src/temporal/codec.ts: the AES-256-GCM payload codec and its key parsing.
 */
import { randomBytes } from 'node:crypto';
import type { Payload } from '@temporalio/common';
import { ConfigError } from '../../src/errors';
import { AesGcmCodec, generateEncryptionKey, parseEncryptionKey } from '../../src/temporal/codec';

const utf8 = (s: string): Uint8Array => new TextEncoder().encode(s);
const text = (b: Uint8Array | null | undefined): string => Buffer.from(b ?? new Uint8Array()).toString('utf8');

const SECRET_BODY = '{"card":"4111111111111111","signingSecret":"whsec_c2VjcmV0LXNlY3JldC1zZWNyZXQtc2VjcmV0"}';
const plainPayload = (): Payload => ({ metadata: { encoding: utf8('json/plain'), custom: utf8('x') }, data: utf8(SECRET_BODY) });

const codec = new AesGcmCodec(parseEncryptionKey(generateEncryptionKey()));

describe('AesGcmCodec', () => {
  test('encode then decode round-trips a payload, metadata included', async () => {
    const [encoded] = await codec.encode([plainPayload()]);
    const [decoded] = await codec.decode([encoded]);
    expect(text(decoded.data)).toBe(SECRET_BODY);
    expect(text(decoded.metadata?.encoding)).toBe('json/plain');
    expect(text(decoded.metadata?.custom)).toBe('x');
  });

  test('several payloads round-trip in order', async () => {
    const payloads = ['a', 'bb', ''].map((s): Payload => ({ metadata: { encoding: utf8('json/plain') }, data: utf8(s) }));
    const decoded = await codec.decode(await codec.encode(payloads));
    expect(decoded.map((p) => text(p.data))).toEqual(['a', 'bb', '']);
  });

  test('the encoded payload names its encoding and key, and its ciphertext does not contain the plaintext', async () => {
    const [encoded] = await codec.encode([plainPayload()]);
    expect(text(encoded.metadata?.encoding)).toBe('binary/encrypted');
    expect(text(encoded.metadata?.['encryption-key-id'])).toBe(codec.keyId);
    expect(Object.keys(encoded.metadata ?? {}).sort()).toEqual(['encoding', 'encryption-key-id']);
    const data = Buffer.from(encoded.data ?? new Uint8Array());
    expect(data.includes(Buffer.from(SECRET_BODY))).toBe(false);
    expect(data.includes(Buffer.from('4111111111111111'))).toBe(false);
    expect(data.includes(Buffer.from('json/plain'))).toBe(false);
  });

  test('encoding the same payload twice gives different ciphertexts (a fresh IV each time)', async () => {
    const [a] = await codec.encode([plainPayload()]);
    const [b] = await codec.encode([plainPayload()]);
    expect(Buffer.from(a.data!).equals(Buffer.from(b.data!))).toBe(false);
  });

  test('the key id is 16 hex characters, stable for a key and different between keys', () => {
    const key = generateEncryptionKey();
    expect(new AesGcmCodec(parseEncryptionKey(key)).keyId).toMatch(/^[0-9a-f]{16}$/);
    expect(new AesGcmCodec(parseEncryptionKey(key)).keyId).toBe(new AesGcmCodec(parseEncryptionKey(key)).keyId);
    expect(new AesGcmCodec(parseEncryptionKey(generateEncryptionKey())).keyId).not.toBe(codec.keyId);
  });

  test('decoding with a different key throws a message naming both key ids', async () => {
    const other = new AesGcmCodec(parseEncryptionKey(generateEncryptionKey()));
    const encoded = await codec.encode([plainPayload()]);
    await expect(other.decode(encoded)).rejects.toThrow(`payload was encrypted with key ${codec.keyId}, this process holds key ${other.keyId}`);
  });

  test('a payload that is not encrypted passes through decode unchanged', async () => {
    const payload = plainPayload();
    const [decoded] = await codec.decode([payload]);
    expect(decoded).toBe(payload);
    const bare: Payload = { data: utf8('no metadata') };
    expect((await codec.decode([bare]))[0]).toBe(bare);
  });

  test.each([
    ['a flipped ciphertext byte', (d: Buffer) => (d[20] ^= 0x01)],
    ['a flipped IV byte', (d: Buffer) => (d[0] ^= 0x01)],
    ['a flipped auth tag byte', (d: Buffer) => (d[d.length - 1] ^= 0x01)],
  ])('tampered ciphertext (%s) fails to decode', async (_title, tamper) => {
    const [encoded] = await codec.encode([plainPayload()]);
    const data = Buffer.from(encoded.data!);
    tamper(data);
    await expect(codec.decode([{ ...encoded, data }])).rejects.toThrow(/unable to authenticate data/);
  });

  test('truncated ciphertext fails to decode', async () => {
    const [encoded] = await codec.encode([plainPayload()]);
    await expect(codec.decode([{ ...encoded, data: Buffer.from(encoded.data!).subarray(0, 20) }])).rejects.toThrow();
    await expect(codec.decode([{ ...encoded, data: new Uint8Array() }])).rejects.toThrow();
  });
});

describe('parseEncryptionKey', () => {
  const MESSAGE = 'HOOKFLOW_ENCRYPTION_KEY: must be the base64 encoding of exactly 32 bytes';

  test('accepts the base64 of 32 bytes, with or without surrounding whitespace', () => {
    const bytes = randomBytes(32);
    expect(parseEncryptionKey(bytes.toString('base64')).equals(bytes)).toBe(true);
    expect(parseEncryptionKey(` ${bytes.toString('base64')}\n`).equals(bytes)).toBe(true);
  });

  test('a generated key is accepted', () => {
    expect(parseEncryptionKey(generateEncryptionKey())).toHaveLength(32);
  });

  test.each([
    ['31 bytes', randomBytes(31).toString('base64')],
    ['33 bytes', randomBytes(33).toString('base64')],
    ['16 bytes', randomBytes(16).toString('base64')],
    ['an empty string', ''],
    ['not base64', 'this is not base64 at all, is it? no!!!!!!'],
    ['32 bytes as hex', randomBytes(32).toString('hex')],
    ['32 bytes with a stray character', `${randomBytes(32).toString('base64').slice(0, 20)}!${randomBytes(32).toString('base64').slice(20)}`],
  ])('rejects %s with the HOOKFLOW_ENCRYPTION_KEY message', (_title, value) => {
    let error: unknown;
    try {
      parseEncryptionKey(value);
    } catch (err) {
      error = err;
    }
    expect(error).toBeInstanceOf(ConfigError);
    expect((error as ConfigError).message).toBe(MESSAGE);
    expect((error as ConfigError).variable).toBe('HOOKFLOW_ENCRYPTION_KEY');
  });
});
