/** Temporal clients for Hookflow: every one carries the payload codec. */
import { Client, type ConnectionLike } from '@temporalio/client';
import type { DataConverter } from '@temporalio/common';
import type { Config } from '../config';
import { AesGcmCodec, parseEncryptionKey } from './codec';

export function hookflowDataConverter(encryptionKey: string): DataConverter {
  return { payloadCodecs: [new AesGcmCodec(parseEncryptionKey(encryptionKey))] };
}

/** A client on `connection` (a client Connection, or a worker's NativeConnection). */
export function hookflowClient(connection: ConnectionLike, namespace: string, encryptionKey: string): Client {
  return new Client({ connection, namespace, dataConverter: hookflowDataConverter(encryptionKey) });
}

/** TEMPORAL_ADDRESS, else the embedded dev server's port. */
export function temporalAddressOf(config: Config): string {
  return config.temporalAddress ?? `localhost:${config.devTemporalPort}`;
}
