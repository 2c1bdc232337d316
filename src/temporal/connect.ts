/** Temporal connections for clients and workers, with Hookflow's payload codec. */
import { Client, Connection } from '@temporalio/client';
import type { DataConverter } from '@temporalio/common';
import { AesGcmCodec, parseEncryptionKey } from './codec';

export function hookflowDataConverter(encryptionKey: string): DataConverter {
  return { payloadCodecs: [new AesGcmCodec(parseEncryptionKey(encryptionKey))] };
}

export async function connectClient(options: { address: string; namespace: string; encryptionKey: string }): Promise<Client> {
  const connection = await Connection.connect({ address: options.address });
  return new Client({ connection, namespace: options.namespace, dataConverter: hookflowDataConverter(options.encryptionKey) });
}
