/** The runtime's log drops only the long workflow task a delivery waiting for its rate-limit slot causes. */
import type { LogLevel, LogMetadata, Logger } from '@temporalio/common';
import { RuntimeLog } from '../../src/worker/runtime-log';

function capture(): { logger: Logger; lines: string[] } {
  const lines: string[] = [];
  const log = (level: LogLevel, message: string, _meta?: LogMetadata): void => void lines.push(`${level} ${message}`);
  return { lines, logger: { log, trace: (m, x) => log('TRACE', m, x), debug: (m, x) => log('DEBUG', m, x), info: (m, x) => log('INFO', m, x), warn: (m, x) => log('WARN', m, x), error: (m, x) => log('ERROR', m, x) } };
}

test('a delivery workflow’s long task is dropped; other workflows’ and other warnings are kept', () => {
  const { logger, lines } = capture();
  const runtime = new RuntimeLog(logger);
  runtime.warn('[TMPRL1104] Workflow task duration exceeded 5 seconds.', { workflowType: 'deliverWebhook', sdkComponent: 'core' });
  runtime.warn('[TMPRL1104] Workflow task duration exceeded 5 seconds.', { workflowType: 'runJourney', sdkComponent: 'core' });
  runtime.warn('Failing workflow task', { workflowType: 'deliverWebhook', sdkComponent: 'core' });
  runtime.error('[TMPRL1100] Nondeterminism error', { workflowType: 'deliverWebhook' });
  expect(lines).toEqual([
    'WARN [TMPRL1104] Workflow task duration exceeded 5 seconds.',
    'WARN Failing workflow task',
    'ERROR [TMPRL1100] Nondeterminism error',
  ]);
});
