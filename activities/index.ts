/**
 * The activities the worker registers, built from their dependencies so tests can pass their own.
 */
import { Context } from '@temporalio/activity';
import type { SendAttemptInput, SendAttemptResult } from '../src/temporal/definitions';
import { sendAttempt, type SendDeps } from './send-attempt';

export type ActivityDeps = SendDeps;

export function createActivities(deps: ActivityDeps) {
  return {
    async sendAttempt(input: SendAttemptInput): Promise<SendAttemptResult> {
      return sendAttempt(deps, input, Context.current().cancellationSignal);
    },
  };
}
