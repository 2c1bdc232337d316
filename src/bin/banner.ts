/** What `npm start` prints once everything runs. */

export interface BannerFacts {
  apiUrl: string;
  apiKey: string;
  /** Where the key came from: HOOKFLOW_API_KEYS is the operator's own secret and is never echoed. */
  keySource: 'environment' | { file: string };
  uiUrl?: string;
  temporalAddress: string;
  namespace: string;
  /** Which PostgreSQL holds the ledger, said without its URL (which may carry a password). */
  database: string;
}

export function startBanner(f: BannerFacts): string {
  const fromEnv = f.keySource === 'environment';
  const key = fromEnv ? '(from HOOKFLOW_API_KEYS)' : `${f.apiKey}   (kept in ${(f.keySource as { file: string }).file})`;
  const bearer = fromEnv ? '<your API key>' : f.apiKey;
  return [
    '',
    'Hookflow is running.',
    `  API        ${f.apiUrl}`,
    `  API key    ${key}`,
    f.uiUrl ? `  Web UI     ${f.uiUrl}` : `  Temporal   ${f.temporalAddress} (namespace ${f.namespace})`,
    `  Database   ${f.database}`,
    `  API docs   ${f.apiUrl}/docs   (metrics: ${f.apiUrl}/metrics, with the API key)`,
    '',
    `  curl -X POST ${f.apiUrl}/v1/webhooks -H 'Authorization: Bearer ${bearer}' \\`,
    `       -H 'Content-Type: application/json' -d '{"url":"https://example.com/hook","body":{"hello":"world"}}'`,
    '',
    'Ctrl-C stops everything; pending deliveries resume at the next start.',
    '',
  ].join('\n');
}
