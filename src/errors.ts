/**
 * Errors Hookflow throws to its callers (SDK and API). Each carries a stable `code`; the API maps
 * them to HTTP statuses in one place (src/api/errors.ts). How a receiver's answer is judged
 * (retryable or not) is data, in src/receiver/classify.ts.
 */
export class HookflowError extends Error {
  constructor(
    readonly code: string,
    message: string,
    options?: { cause?: unknown },
  ) {
    super(message, options);
    this.name = new.target.name;
  }
}

/** Thrown when an environment variable holds a value Hookflow cannot use. */
export class ConfigError extends HookflowError {
  constructor(
    readonly variable: string,
    problem: string,
  ) {
    super('invalid_config', `${variable}: ${problem}`);
  }
}

export interface FieldIssue {
  /** Dotted path of the offending field, e.g. `retry.maxAttempts` or `headers.X-Foo`. */
  field: string;
  message: string;
}

/** Thrown when a request's fields fail validation; nothing has been done. */
export class InvalidRequestError extends HookflowError {
  constructor(
    readonly issues: FieldIssue[],
    code = 'invalid_request',
  ) {
    super(code, issues.map((i) => `${i.field}: ${i.message}`).join('; '));
  }
}

/** Thrown when a webhook fails validation; nothing has been started. */
export class InvalidWebhookError extends InvalidRequestError {
  constructor(issues: FieldIssue[]) {
    super(issues, 'invalid_webhook');
  }
}

/** Thrown when no webhook has the given id. */
export class WebhookNotFoundError extends HookflowError {
  constructor(readonly webhookId: string) {
    super('not_found', `webhook ${webhookId} not found`);
  }
}

/** Thrown when an action does not fit the webhook's current status (cancel a delivered one, …). */
export class WebhookConflictError extends HookflowError {
  constructor(
    readonly webhookId: string,
    readonly status: string,
    action: string,
  ) {
    super('conflict', `cannot ${action} webhook ${webhookId}: it is ${status}`);
  }
}

/** Thrown when a host authority given to the operator API or the SDK is not `host[:port]`. */
export class InvalidHostError extends InvalidRequestError {
  constructor(readonly authority: string) {
    super([{ field: 'authority', message: `'${authority}' is not a host[:port] authority` }], 'invalid_host');
  }
}

/** Thrown when nothing of a kind (job, gone endpoint, …) has the id asked for: 404. */
export class NotFoundError extends HookflowError {
  constructor(kind: string, id: string) {
    super('not_found', `${kind} ${id} not found`);
  }
}

/** Thrown when no template (or no such version of it) exists. */
export class TemplateNotFoundError extends NotFoundError {
  constructor(readonly templateId: string, version?: number) {
    super('template', version === undefined ? templateId : `${templateId} version ${version}`);
  }
}

/** Thrown when no job has the id asked for. */
export class JobNotFoundError extends NotFoundError {
  constructor(readonly jobId: string) {
    super('job', jobId);
  }
}

/**
 * Thrown when a service Hookflow depends on cannot be reached: `temporal` (its server, or a worker
 * that must answer a query), and any dependency added later (e.g. `postgres`). The API answers 503
 * naming it; anything else that fails is a bug (500).
 */
export class DependencyUnavailableError extends HookflowError {
  constructor(
    readonly dependency: string,
    cause?: unknown,
  ) {
    super('unavailable', `${dependency} is unreachable${cause instanceof Error ? `: ${cause.message}` : ''}`, { cause });
  }
}
