/** src/bin/banner.ts: what `npm start` prints, and that an operator's own API key is never echoed. */
import { startBanner } from '../../src/bin/banner';

const facts = { apiUrl: 'http://127.0.0.1:8080', apiKey: 'hf_secret_from_env_123', temporalAddress: '127.0.0.1:7233', namespace: 'default', uiUrl: 'http://localhost:8233', database: 'DATABASE_URL' };

test('a key from HOOKFLOW_API_KEYS is not printed, not even in the curl example', () => {
  const text = startBanner({ ...facts, keySource: 'environment' });
  expect(text).not.toContain('hf_secret_from_env_123');
  expect(text).toContain('API key    (from HOOKFLOW_API_KEYS)');
  expect(text).toContain("Authorization: Bearer <your API key>");
});

test('a key Hookflow generated is printed with the file that keeps it', () => {
  const text = startBanner({ ...facts, apiKey: 'hf_generated', keySource: { file: '.hookflow/api-key' } });
  expect(text).toContain('API key    hf_generated   (kept in .hookflow/api-key)');
  expect(text).toContain("Authorization: Bearer hf_generated'");
});

test('without an embedded Web UI it names the Temporal server and namespace instead', () => {
  const text = startBanner({ ...facts, uiUrl: undefined, keySource: 'environment' });
  expect(text).toContain('Temporal   127.0.0.1:7233 (namespace default)');
});

test('it says where the API docs and the metrics are', () => {
  const text = startBanner({ ...facts, keySource: 'environment' });
  expect(text).toContain('API docs   http://127.0.0.1:8080/docs   (metrics: http://127.0.0.1:8080/metrics, with the API key)');
});
