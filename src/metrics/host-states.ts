/**
 * Bounds the breaker metric's `host` label: a deployment may send to millions of hosts, and each
 * label value is a time series in Prometheus. Pure, so the folding is testable.
 */
import type { HostState } from '../breaker/definitions';

export interface KnownHost {
  host: string;
  state: HostState;
  usedAtMs: number;
}

export type HostStateSource = () => KnownHost[];

/** The label under which hosts beyond the named ones are counted. */
export const OTHER_HOSTS = '(other)';

/** Named hosts (count 1), those not closed first then the most recently used, and the rest counted per state under `other`. */
export function boundedHostStates(hosts: KnownHost[], maxHosts: number): { host: string; state: HostState; count: number }[] {
  const ranked = [...hosts].sort((a, b) => Number(a.state === 'closed') - Number(b.state === 'closed') || b.usedAtMs - a.usedAtMs);
  const named = ranked.slice(0, maxHosts).map(({ host, state }) => ({ host, state, count: 1 }));
  const rest = new Map<HostState, number>();
  for (const { state } of ranked.slice(maxHosts)) rest.set(state, (rest.get(state) ?? 0) + 1);
  return [...named, ...[...rest].map(([state, count]) => ({ host: OTHER_HOSTS, state, count }))];
}
