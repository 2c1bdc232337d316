import type { Config } from '../config';
import type { BreakerSettings } from '../temporal/host-definitions';

export function breakerSettings(config: Config): BreakerSettings {
  return {
    windowMs: config.breakerWindowMs,
    minRequests: config.breakerMinRequests,
    failureRatio: config.breakerFailureRatio,
    cooldownMs: config.breakerCooldownMs,
    maxCooldownMs: Math.max(config.breakerMaxCooldownMs, config.breakerCooldownMs),
    resumeRate: config.hostResumeRate,
    probeTimeoutMs: config.breakerProbeTimeoutMs,
    idleMs: config.breakerIdleMs,
  };
}
