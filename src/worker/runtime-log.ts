/**
 * The Temporal runtime's log: the SDK's lines (its Core's forwarded in, at WARN and up) go to the
 * process's logger, except one that Hookflow causes on purpose. A campaign webhook waits for a
 * rate-limit slot up to 12 s away inside its send, a local activity (activities/index.ts,
 * IN_SEND_SLOT_WAIT_MS), which holds its workflow task open meanwhile; Core warns about every
 * workflow task over 5 s (TMPRL1104), which at 600 a minute would be several lines a second.
 * Other workflows' slow tasks, and every other warning, still show.
 */
import type { LogLevel, LogMetadata, Logger } from '@temporalio/common';

/** Whether a runtime log line is the expected long workflow task of a delivery waiting for its slot. */
export function expectedSlotWait(message: string, meta?: LogMetadata): boolean {
  return message.includes('TMPRL1104') && meta?.workflowType === 'deliverWebhook';
}

export class RuntimeLog implements Logger {
  constructor(private readonly inner: Logger) {}

  log(level: LogLevel, message: string, meta?: LogMetadata): void {
    if (!expectedSlotWait(message, meta)) this.inner.log(level, message, meta);
  }
  trace(message: string, meta?: LogMetadata): void {
    this.log('TRACE', message, meta);
  }
  debug(message: string, meta?: LogMetadata): void {
    this.log('DEBUG', message, meta);
  }
  info(message: string, meta?: LogMetadata): void {
    this.log('INFO', message, meta);
  }
  warn(message: string, meta?: LogMetadata): void {
    this.log('WARN', message, meta);
  }
  error(message: string, meta?: LogMetadata): void {
    this.log('ERROR', message, meta);
  }
}
