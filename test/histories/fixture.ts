/**
 * What the committed histories were made with. The replayer must decode a workflow's input to run
 * its code (payloads are AES-GCM encrypted), so histories are recorded under this fixed key: a test
 * key that protects nothing, published here on purpose. No real secret is in any history (the
 * replay test checks that no plaintext marker is either).
 */
export const HISTORY_KEY = Buffer.from('hookflow replay fixture key 32b!').toString('base64');

/** A signing secret the scenarios use. */
export const SIGNING_SECRET = `whsec_${Buffer.from('history-signing-secret-000000').toString('base64')}`;

/** Strings the scenarios put in bodies, headers and secrets; none may appear in a history in plain text. */
// Campaign scenarios' recipients are `history-recipient-<n>`: personal data, never in plain text either.
export const PLAINTEXT_MARKERS = ['history-body-marker', 'history-header-marker', SIGNING_SECRET, 'history-recipient-'];
