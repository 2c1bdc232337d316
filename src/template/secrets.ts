/**
 * `{{ secrets.NAME }}`: rendering leaves a marker in its place, and only the send activity puts
 * the value of HOOKFLOW_SECRET_<NAME> there, at each send. So the value is never in a workflow's
 * history, the ledger, a log or an API answer; previews and status reads show `***`.
 *
 * A marker carries a random nonce drawn at render time and kept with the request: only markers
 * with that nonce are substituted. Recipient attributes, trigger and event properties are
 * rendered into the same text, and whoever controls them could otherwise write a marker (in two
 * halves, even) and have another secret sent to a URL they read.
 *
 * A marker also says where it stands, so the value is escaped for that place: percent-encoded in
 * the URL, JSON-escaped in a JSON body, as is in a header or a text body (a header value with CR,
 * LF or NUL is refused), and as the signing secret.
 */
export const SECRET_ENV_PREFIX = 'HOOKFLOW_SECRET_';
export const SECRET_MASK = '***';

export type SecretPlace = 'url' | 'header' | 'json' | 'text' | 'signing';
const PLACE_CODE: Record<SecretPlace, string> = { url: 'u', header: 'h', json: 'j', text: 't', signing: 's' };
const CODE_PLACE: Record<string, SecretPlace> = Object.fromEntries(Object.entries(PLACE_CODE).map(([p, c]) => [c, p as SecretPlace]));

/** URL-, header- and JSON-safe characters only, so the marker passes every check a rendered request goes through. */
export function secretMarker(nonce: string, place: SecretPlace, name: string): string {
  return `HOOKFLOW-SECRET~${nonce}~${PLACE_CODE[place]}~${name}~`;
}

const ANY_MARKER = /HOOKFLOW-SECRET~([0-9a-f]{32})~([uhjts])~([A-Za-z0-9_]{1,64})~/g;

/** The rendered text with every marker of this nonce shown as `***`. */
export function maskSecrets(text: string, nonce: string): string {
  return text.replace(ANY_MARKER, (all, n: string) => (n === nonce ? SECRET_MASK : all));
}

export function hasSecretMarker(text: string, nonce: string): boolean {
  return maskSecrets(text, nonce) !== text;
}

/** Thrown by the send activity when a secret is not set on the worker, or cannot stand where it is used. */
export class SecretUnavailableError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'SecretUnavailableError';
  }
}

/** Replaces this nonce's markers in `text` with their values from `env`. */
export function substituteSecrets(text: string, nonce: string, env: NodeJS.ProcessEnv): string {
  return text.replace(ANY_MARKER, (all, n: string, code: string, name: string) => {
    if (n !== nonce) return all;
    const value = env[`${SECRET_ENV_PREFIX}${name}`];
    if (value === undefined) throw new SecretUnavailableError(`secret ${name} is not set on this worker (${SECRET_ENV_PREFIX}${name})`);
    switch (CODE_PLACE[code]) {
      case 'url':
        return encodeURIComponent(value);
      case 'json':
        return JSON.stringify(value).slice(1, -1);
      case 'header':
        if (/[\r\n\0]/.test(value)) throw new SecretUnavailableError(`secret ${name} contains CR, LF or NUL and cannot be sent in a header`);
        return value;
      default:
        return value;
    }
  });
}

/**
 * A templated request's URL with its secret markers shown as `***`: the same for every webhook of
 * the template (the markers' nonces differ), and free of secret values — what the gone-endpoint
 * list keys a URL by.
 */
export function urlWithoutSecrets(request: { url: string; secretNonce?: string }): string {
  return request.secretNonce === undefined ? request.url : maskSecrets(request.url, request.secretNonce);
}
