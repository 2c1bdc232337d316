import type { Config } from '../config';
import type { BreakerSettings } from './definitions';

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
    // A worker renews a lease every report interval; twice that lets one renewal be late.
    leaseMs: 2 * config.hostReportIntervalMs,
  };
}
