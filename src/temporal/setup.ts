/**
 * What a Temporal namespace needs before Hookflow runs there: the namespace itself and Hookflow's
 * search attributes. `npm run setup-temporal` applies it to TEMPORAL_ADDRESS; the embedded dev
 * server registers the attributes itself when it starts. Safe to run again: it adds only what is missing.
 */
import { isGrpcServiceError, type Connection } from '@temporalio/client';
import { msToTs } from '@temporalio/common/lib/time';
import { temporal } from '@temporalio/proto';
import { ConfigError } from '../errors';
import { HOOKFLOW_SEARCH_ATTRIBUTES } from './search-attributes';

const NOT_FOUND = 5;
/** A namespace this command creates keeps closed workflows this long: the window for idempotency keys and retries of finished webhooks. */
export const DEFAULT_RETENTION_DAYS = 7;

export interface SetupResult {
  namespaceCreated: boolean;
  /** Search attributes this run registered. */
  added: string[];
  /** Search attributes that were already there. */
  present: string[];
}

export async function setupTemporal(connection: Connection, namespace: string, retentionDays = DEFAULT_RETENTION_DAYS): Promise<SetupResult> {
  const namespaceCreated = await ensureNamespace(connection, namespace, retentionDays);
  const { customAttributes } = await connection.operatorService.listSearchAttributes({ namespace });
  const existing = customAttributes ?? {};
  const IndexedValueType = temporal.api.enums.v1.IndexedValueType;
  const added: string[] = [];
  const present: string[] = [];
  const missing: Record<string, temporal.api.enums.v1.IndexedValueType> = {};
  for (const { name, type } of HOOKFLOW_SEARCH_ATTRIBUTES) {
    const wanted = IndexedValueType[`INDEXED_VALUE_TYPE_${type}`];
    const found = existing[name];
    if (found === undefined) {
      missing[name] = wanted;
      added.push(name);
    } else if (found !== wanted) {
      throw new ConfigError('TEMPORAL_NAMESPACE', `search attribute ${name} exists in ${namespace} as ${IndexedValueType[found]}, Hookflow needs ${IndexedValueType[wanted]}`);
    } else {
      present.push(name);
    }
  }
  if (added.length > 0) await connection.operatorService.addSearchAttributes({ namespace, searchAttributes: missing });
  return { namespaceCreated, added, present };
}

async function ensureNamespace(connection: Connection, namespace: string, retentionDays: number): Promise<boolean> {
  try {
    await connection.workflowService.describeNamespace({ namespace });
    return false;
  } catch (err) {
    if (!isGrpcServiceError(err) || err.code !== NOT_FOUND) throw err;
  }
  await connection.workflowService.registerNamespace({
    namespace,
    workflowExecutionRetentionPeriod: msToTs(`${retentionDays} days`),
    description: 'Hookflow webhook deliveries',
  });
  // A new namespace takes a moment to be served everywhere (the operator service too).
  for (let i = 0; ; i++) {
    try {
      await connection.workflowService.describeNamespace({ namespace });
      await connection.operatorService.listSearchAttributes({ namespace });
      return true;
    } catch (err) {
      if (i >= 100) throw err;
      await new Promise((resolve) => setTimeout(resolve, 200));
    }
  }
}
