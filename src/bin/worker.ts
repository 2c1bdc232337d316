/** `npm run worker`: the worker alone, for deployments that scale it apart from the API. */
import { loadConfig } from '../config';
import { resolveEncryptionKey } from '../data-dir';
import { logger, main } from './lifecycle';
import { startWorkerRole } from './roles';

main(async () => {
  const config = loadConfig();
  const role = await startWorkerRole(config, resolveEncryptionKey(config));
  logger.info({ taskQueue: config.taskQueue, temporal: config.temporalAddress }, 'worker running');
  return role.stop;
});
