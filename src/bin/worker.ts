/** `npm run worker`: the worker alone, for deployments that scale it apart from the API. */
import { loadConfig } from '../config';
import { resolveEncryptionKey } from '../data-dir';
import { serveMetrics, type MetricsServer } from '../metrics/server';
import { logger, main } from './lifecycle';
import { startWorkerRole } from './roles';

main(async ({ metrics }) => {
  const config = loadConfig();
  const role = await startWorkerRole(config, resolveEncryptionKey(config), metrics);
  // No API here to serve them: the worker's metrics get a port of their own (0: none).
  let server: MetricsServer | undefined;
  try {
    server = config.metricsPort === 0 ? undefined : await serveMetrics(metrics, { host: config.host, port: config.metricsPort });
  } catch (err) {
    await role.stop();
    throw new Error(`cannot serve metrics on ${config.host}:${config.metricsPort} (HOOKFLOW_METRICS_PORT): ${(err as Error).message}`);
  }
  logger.info({ taskQueue: config.taskQueue, temporal: config.temporalAddress, metrics: server?.url }, 'worker running');
  return async () => {
    await server?.close();
    await role.stop();
  };
});
