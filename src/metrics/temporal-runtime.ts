/**
 * The Temporal SDK's own runtime metrics (workflow and activity task latencies, slots, sticky
 * cache, poller and request counts: `temporal_*`). The SDK's Core exports them only from an HTTP
 * server of its own, so each Hookflow process gives it a free port on 127.0.0.1 (never reachable
 * from other machines) and Hookflow's /metrics reads it there and serves it with its own metrics:
 * one scrape target per process.
 */
import { request } from 'undici';
import type { RuntimeOptions } from '@temporalio/worker';
import { freePort } from '../dev/free-port';

/** How long a scrape waits for the Core exporter; past that Hookflow serves its own metrics alone. */
const SCRAPE_TIMEOUT_MS = 2_000;

export interface TemporalRuntimeMetrics {
  /** Where Core serves them, for the record (`http://127.0.0.1:<port>/metrics`). */
  url: string;
  /** The exposition text, or '' when Core does not answer in time. */
  text(): Promise<string>;
}

/** Telemetry options for Runtime.install, and the reader of what they export. */
export async function temporalRuntimeMetrics(): Promise<{ telemetryOptions: RuntimeOptions['telemetryOptions']; metrics: TemporalRuntimeMetrics }> {
  const port = await freePort();
  const url = `http://127.0.0.1:${port}/metrics`;
  return {
    // Seconds and `_total` suffixes: Prometheus's own conventions, as prom-client's metrics follow.
    telemetryOptions: { metrics: { prometheus: { bindAddress: `127.0.0.1:${port}`, countersTotalSuffix: true, useSecondsForDurations: true } } },
    metrics: {
      url,
      async text() {
        try {
          const res = await request(url, { signal: AbortSignal.timeout(SCRAPE_TIMEOUT_MS) });
          const body = await res.body.text();
          return res.statusCode === 200 ? body : '';
        } catch {
          return '';
        }
      },
    },
  };
}
