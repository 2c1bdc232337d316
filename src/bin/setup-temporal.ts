/**
 * `npm run setup-temporal`: prepares an external Temporal (TEMPORAL_ADDRESS, TEMPORAL_NAMESPACE)
 * for Hookflow — creates the namespace if it is missing and registers Hookflow's search
 * attributes. Run it once before the first `npm run worker` / `npm run api` against that server.
 */
import { Connection } from '@temporalio/client';
import { loadConfig } from '../config';
import { temporalAddressOf } from '../temporal/connect';
import { setupTemporal } from '../temporal/setup';

async function run(): Promise<void> {
  const config = loadConfig();
  const address = temporalAddressOf(config);
  const connection = await Connection.connect({ address });
  try {
    const result = await setupTemporal(connection, config.temporalNamespace);
    const lines = [
      `Temporal ${address}, namespace ${config.temporalNamespace}${result.namespaceCreated ? ' (created)' : ''}`,
      `  search attributes registered: ${result.added.join(', ') || 'none needed'}`,
      `  already there: ${result.present.join(', ') || 'none'}`,
    ];
    process.stdout.write(`${lines.join('\n')}\n`);
  } finally {
    await connection.close();
  }
}

run().catch((err: unknown) => {
  process.stderr.write(`setup-temporal failed: ${(err as Error).message}\n`);
  process.exit(1);
});
