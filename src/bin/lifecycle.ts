/**
 * Entry-point plumbing: `main(run)` runs a role, stops it cleanly on SIGINT/SIGTERM (a second
 * signal forces the exit), and exits non-zero with the error's message if starting fails.
 */
import { DefaultLogger, Runtime } from '@temporalio/worker';
import pino from 'pino';
import { loadConfig, SETTINGS } from '../config';
import { HookflowMetrics } from '../metrics/registry';
import { temporalRuntimeMetrics } from '../metrics/temporal-runtime';
import { RuntimeLog } from '../worker/runtime-log';

/** HOOKFLOW_LOG_LEVEL, read through the config module; a bad value is reported when the role loads its config. */
function logLevel(): string {
  try {
    return loadConfig().logLevel;
  } catch {
    return SETTINGS.logLevel.default;
  }
}

export const logger = pino({ level: logLevel(), base: { service: 'hookflow' } });

/** What every role gets from the process: its metrics, the Temporal runtime's among them. */
export interface ProcessContext {
  metrics: HookflowMetrics;
}

/** `run` starts the role and returns the function that stops it. */
export function main(run: (context: ProcessContext) => Promise<() => Promise<void>>): void {
  let stopping = false;
  installRuntime()
    .then(run)
    .then((stop) => {
      const onSignal = (signal: NodeJS.Signals): void => {
        if (stopping) {
          logger.warn({ signal }, 'second signal: exiting now');
          process.exit(130);
        }
        stopping = true;
        logger.info({ signal }, 'stopping');
        stop().then(
          () => process.exit(0),
          (err: unknown) => {
            logger.error({ err }, 'error while stopping');
            process.exit(1);
          },
        );
      };
      process.on('SIGINT', onSignal);
      process.on('SIGTERM', onSignal);
    })
    .catch((err: unknown) => {
      logger.fatal({ err }, (err as Error).message);
      process.exit(1);
    });
}

/** Installs the Temporal runtime, its metrics exported for the process's /metrics. */
async function installRuntime(): Promise<ProcessContext> {
  const { telemetryOptions, metrics: temporal } = await temporalRuntimeMetrics();
  // Hookflow orders its own shutdown (API, then worker, then the embedded server), so the
  // Temporal runtime must not react to the signals on its own. The SDK's own INFO lines
  // (bundling, state changes) are noise in normal operation.
  const verbose = ['debug', 'trace'].includes(logger.level);
  // Core's own lines are forwarded to the same logger (they went to the console), minus one
  // warning Hookflow causes on purpose (src/worker/runtime-log.ts).
  Runtime.install({
    shutdownSignals: [],
    logger: new RuntimeLog(new DefaultLogger(verbose ? 'DEBUG' : 'WARN')),
    telemetryOptions: { ...telemetryOptions, logging: { filter: { core: verbose ? 'DEBUG' : 'WARN', other: 'ERROR' }, forward: {} } },
  });
  return { metrics: new HookflowMetrics({ maxHosts: loadConfig().metricsHosts, temporal }) };
}
