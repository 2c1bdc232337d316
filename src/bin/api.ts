/** `npm run api`: the HTTP API alone, for deployments that scale it apart from the worker. */
import { loadConfig } from '../config';
import { resolveApiKeys, resolveEncryptionKey } from '../data-dir';
import { logger, main } from './lifecycle';
import { startApiRole } from './roles';

main(async ({ metrics }) => {
  const config = loadConfig();
  const role = await startApiRole(config, resolveEncryptionKey(config), resolveApiKeys(config), { metrics });
  logger.info({ url: role.url }, 'API listening');
  return role.stop;
});
