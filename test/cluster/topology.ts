/**
 * What the cluster test runs, in names and versions only (no imports), so that
 * test/unit/compose.test.ts can hold docker-compose.yml to the same.
 */

/** docker/temporal.Dockerfile and docker-compose.yml build the same version with the same toolchain. */
export const TEMPORAL_SERVER_VERSION = '1.32.2';
/** Go 1.26.8 is installed here; the server needs at least 1.26.10. The approved toolchain comes through the module proxy. */
export const GO_TOOLCHAIN = 'go1.27.3';
/** The PostgreSQL plugin of Temporal's SQL persistence, in the config and for the sql tool. */
export const SQL_PLUGIN = 'postgres12';
/** History shards: fixed for the life of a cluster (it cannot change once the databases exist). */
export const HISTORY_SHARDS = 4;
export const PERSISTENCE_DATABASE = 'temporal';
export const VISIBILITY_DATABASE = 'temporal_visibility';

/** What a deployment must give every worker and API (docker-compose.yml's worker and api too). */
export const DEPLOYMENT_ENV = ['TEMPORAL_ADDRESS', 'TEMPORAL_NAMESPACE', 'DATABASE_URL', 'HOOKFLOW_ENCRYPTION_KEY'] as const;
/** …and the API besides. */
export const API_ENV = ['HOOKFLOW_API_KEYS', 'HOOKFLOW_HOST'] as const;

const REPORT_INTERVAL_MS = 500;
export const BREAKER_COOLDOWN_MS = 8_000;
export const MAX_CONCURRENT_SENDS = 50;
/**
 * The test's tuning of every worker and API: short windows, so that a breaker opens and closes
 * within seconds. A deployment keeps the defaults (README's settings table).
 */
export const CLUSTER_ENV: Record<string, string> = {
  HOOKFLOW_MAX_CONCURRENT_SENDS: String(MAX_CONCURRENT_SENDS),
  HOOKFLOW_HOST_REPORT_INTERVAL_MS: String(REPORT_INTERVAL_MS),
  HOOKFLOW_BREAKER_MIN_REQUESTS: '10',
  HOOKFLOW_BREAKER_FAILURE_RATIO: '0.5',
  HOOKFLOW_BREAKER_WINDOW_MS: '10000',
  HOOKFLOW_BREAKER_COOLDOWN_MS: String(BREAKER_COOLDOWN_MS),
  HOOKFLOW_BREAKER_MAX_COOLDOWN_MS: String(BREAKER_COOLDOWN_MS),
  HOOKFLOW_HOST_RESUME_RATE: '50',
  HOOKFLOW_LEDGER_FLUSH_MS: '500',
};
export { REPORT_INTERVAL_MS };

/** Variables the test sets that a deployment does not, and why. */
export const TEST_ONLY_ENV: Record<string, string> = {
  HOOKFLOW_ALLOW_PRIVATE_NETWORKS: 'the test receivers listen on 127.0.0.1',
  HOOKFLOW_TASK_QUEUE: 'a task queue per run (a deployment keeps the default)',
  HOOKFLOW_PORT: 'a free port per API process (the container listens on the default 8080)',
  HOOKFLOW_LOG_LEVEL: 'quiet children',
  HOOKFLOW_DATA_DIR: 'a temp dir per run',
  HOOKFLOW_METRICS_PORT: 'off: two workers on one machine would both want 9464 (each container has its own)',
  ...Object.fromEntries(Object.keys(CLUSTER_ENV).map((k) => [k, 'short windows for a test of minutes'])),
};
