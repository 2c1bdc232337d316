/**
 * src/config.ts loadConfig: defaults, and a ConfigError naming the variable for every bad value.
 * src/version.ts: VERSION follows package.json.
 */
import { loadConfig, SETTINGS } from '../../src/config';
import { ConfigError } from '../../src/errors';
import { USER_AGENT, VERSION } from '../../src/version';
import pkg from '../../package.json';

/** The ConfigError loadConfig throws for `env`; fails the test if it does not throw one. */
function configError(env: Record<string, string>): ConfigError {
  try {
    loadConfig(env);
  } catch (err) {
    expect(err).toBeInstanceOf(ConfigError);
    return err as ConfigError;
  }
  throw new Error(`loadConfig accepted ${JSON.stringify(env)}`);
}

describe('defaults', () => {
  test('an empty environment gives the documented defaults', () => {
    expect(loadConfig({})).toMatchObject({
      port: 8080,
      host: '127.0.0.1',
      dataDir: '.hookflow',
      temporalNamespace: 'default',
      devTemporalPort: 7233,
      devUiPort: 8233,
      taskQueue: 'hookflow',
      maxBodyBytes: 262_144,
      maxResponseBytes: 65_536,
      maxRetryAfterMs: 36_000_000,
      allowPrivateNetworks: false,
      allowedCidrs: [],
      sendActivity: 'local',
      maxConcurrentSends: 200,
      breakerWindowMs: 60_000,
      breakerMinRequests: 20,
      breakerFailureRatio: 0.5,
      breakerCooldownMs: 60_000,
      breakerMaxCooldownMs: 600_000,
      hostResumeRate: 20,
      hostReportIntervalMs: 1_000,
      logLevel: 'info',
    });
  });

  test('settings without a default stay unset', () => {
    const config = loadConfig({});
    for (const key of ['apiKeys', 'encryptionKey', 'temporalAddress', 'temporalCliPath', 'uiOrigins'] as const) {
      expect(config[key]).toBeUndefined();
    }
  });

  test('every setting is read, and every default parses', () => {
    const config = loadConfig({});
    for (const [key, setting] of Object.entries(SETTINGS)) {
      expect(key in config).toBe(true);
      if (setting.default !== undefined) expect(config[key as keyof typeof config]).toBeDefined();
    }
  });

  test('process.env is not read when an environment is passed', () => {
    const saved = process.env.HOOKFLOW_PORT;
    process.env.HOOKFLOW_PORT = '1234';
    try {
      expect(loadConfig({}).port).toBe(8080);
    } finally {
      if (saved === undefined) delete process.env.HOOKFLOW_PORT;
      else process.env.HOOKFLOW_PORT = saved;
    }
  });
});

describe('values are parsed', () => {
  test.each([
    ['HOOKFLOW_PORT', '9000', 'port', 9000],
    ['HOOKFLOW_PORT', ' 9000 ', 'port', 9000],
    ['HOOKFLOW_PORT', '0', 'port', 0],
    ['HOOKFLOW_PORT', '65535', 'port', 65_535],
    ['HOOKFLOW_MAX_BODY_BYTES', '1500000', 'maxBodyBytes', 1_500_000],
    ['HOOKFLOW_MAX_RESPONSE_BYTES', '0', 'maxResponseBytes', 0],
    ['HOOKFLOW_BREAKER_FAILURE_RATIO', '0.7', 'breakerFailureRatio', 0.7],
    ['HOOKFLOW_HOST', ' 0.0.0.0 ', 'host', '0.0.0.0'],
    ['TEMPORAL_ADDRESS', 'temporal.internal:7233', 'temporalAddress', 'temporal.internal:7233'],
    ['TEMPORAL_ADDRESS', '   ', 'temporalAddress', undefined],
    ['HOOKFLOW_ENCRYPTION_KEY', '', 'encryptionKey', undefined],
    ['HOOKFLOW_SEND_ACTIVITY', 'regular', 'sendActivity', 'regular'],
    ['HOOKFLOW_SEND_ACTIVITY', ' local ', 'sendActivity', 'local'],
    ['HOOKFLOW_LOG_LEVEL', 'silent', 'logLevel', 'silent'],
  ])('%s=%j gives %s %j', (env, raw, key, expected) => {
    expect(loadConfig({ [env]: raw })[key as keyof ReturnType<typeof loadConfig>]).toEqual(expected);
  });

  test.each([
    ['true', true],
    ['TRUE', true],
    [' yes ', true],
    ['1', true],
    ['false', false],
    ['No', false],
    ['0', false],
    ['', false],
  ])('the boolean %j reads as %s', (raw, expected) => {
    expect(loadConfig({ HOOKFLOW_ALLOW_PRIVATE_NETWORKS: raw }).allowPrivateNetworks).toBe(expected);
  });

  test.each([
    ['a,b', ['a', 'b']],
    [' a , b ,, c ', ['a', 'b', 'c']],
    ['single', ['single']],
    [' , ', []],
  ])('the list %j reads as %j', (raw, expected) => {
    expect(loadConfig({ HOOKFLOW_API_KEYS: raw }).apiKeys).toEqual(expected);
    expect(loadConfig({ HOOKFLOW_ALLOWED_CIDRS: raw }).allowedCidrs).toEqual(expected);
  });

  test('an empty variable counts as unset and takes the default', () => {
    const config = loadConfig({ HOOKFLOW_PORT: '', HOOKFLOW_API_KEYS: ' ', HOOKFLOW_BREAKER_FAILURE_RATIO: '' });
    expect(config.port).toBe(8080);
    expect(config.apiKeys).toBeUndefined();
    expect(config.breakerFailureRatio).toBe(0.5);
  });

  test('a list of origins keeps each origin whole', () => {
    expect(loadConfig({ HOOKFLOW_UI_ORIGINS: 'http://localhost:8233, https://ui.example.com' }).uiOrigins).toEqual([
      'http://localhost:8233',
      'https://ui.example.com',
    ]);
  });
});

describe('bad values are a ConfigError naming the variable', () => {
  test.each([
    ['HOOKFLOW_PORT', 'abc', "expected an integer from 0 to 65535, got 'abc'"],
    ['HOOKFLOW_PORT', '80.5', "expected an integer from 0 to 65535, got '80.5'"],
    ['HOOKFLOW_PORT', '1e3', "expected an integer from 0 to 65535, got '1e3'"],
    ['HOOKFLOW_PORT', '0x50', "expected an integer from 0 to 65535, got '0x50'"],
    ['HOOKFLOW_PORT', '-1', "expected an integer from 0 to 65535, got '-1'"],
    ['HOOKFLOW_PORT', '65536', "expected an integer from 0 to 65535, got '65536'"],
    ['HOOKFLOW_PORT', '8080abc', "expected an integer from 0 to 65535, got '8080abc'"],
    ['HOOKFLOW_DEV_TEMPORAL_PORT', '0', "expected an integer from 1 to 65535, got '0'"],
    ['HOOKFLOW_DEV_UI_PORT', 'ui', "expected an integer from 1 to 65535, got 'ui'"],
    ['HOOKFLOW_MAX_BODY_BYTES', '0', "expected an integer from 1 to 1500000, got '0'"],
    ['HOOKFLOW_MAX_BODY_BYTES', '1500001', "expected an integer from 1 to 1500000, got '1500001'"],
    ['HOOKFLOW_MAX_RESPONSE_BYTES', '16777217', "expected an integer from 0 to 16777216, got '16777217'"],
    ['HOOKFLOW_MAX_RETRY_AFTER_MS', '-5', "expected an integer from 0 to 2592000000, got '-5'"],
    ['HOOKFLOW_MAX_CONCURRENT_SENDS', '0', "expected an integer from 1 to 10000, got '0'"],
    ['HOOKFLOW_BREAKER_WINDOW_MS', '999', "expected an integer from 1000 to 3600000, got '999'"],
    ['HOOKFLOW_BREAKER_MIN_REQUESTS', 'ten', "expected an integer from 1 to 1000000, got 'ten'"],
    ['HOOKFLOW_BREAKER_COOLDOWN_MS', '99', "expected an integer from 100 to 86400000, got '99'"],
    ['HOOKFLOW_BREAKER_MAX_COOLDOWN_MS', '86400001', "expected an integer from 100 to 86400000, got '86400001'"],
    ['HOOKFLOW_HOST_RESUME_RATE', '10001', "expected an integer from 1 to 10000, got '10001'"],
    ['HOOKFLOW_HOST_REPORT_INTERVAL_MS', '49', "expected an integer from 50 to 60000, got '49'"],
    ['HOOKFLOW_BREAKER_FAILURE_RATIO', '0', "expected a number between 0 and 1 (exclusive), got '0'"],
    ['HOOKFLOW_BREAKER_FAILURE_RATIO', '1', "expected a number between 0 and 1 (exclusive), got '1'"],
    ['HOOKFLOW_BREAKER_FAILURE_RATIO', 'half', "expected a number between 0 and 1 (exclusive), got 'half'"],
    ['HOOKFLOW_BREAKER_FAILURE_RATIO', 'NaN', "expected a number between 0 and 1 (exclusive), got 'NaN'"],
    ['HOOKFLOW_BREAKER_FAILURE_RATIO', '-0.5', "expected a number between 0 and 1 (exclusive), got '-0.5'"],
    ['HOOKFLOW_ALLOW_PRIVATE_NETWORKS', 'maybe', "expected true or false, got 'maybe'"],
    ['HOOKFLOW_ALLOW_PRIVATE_NETWORKS', 'on', "expected true or false, got 'on'"],
    ['HOOKFLOW_SEND_ACTIVITY', 'remote', "expected one of local, regular, got 'remote'"],
    ['HOOKFLOW_SEND_ACTIVITY', 'LOCAL', "expected one of local, regular, got 'LOCAL'"],
    ['HOOKFLOW_LOG_LEVEL', 'verbose', "expected one of fatal, error, warn, info, debug, trace, silent, got 'verbose'"],
  ])('%s=%j: "%s"', (env, raw, problem) => {
    const err = configError({ [env]: raw });
    expect(err.message).toBe(`${env}: ${problem}`);
    expect(err.variable).toBe(env);
    expect(err.code).toBe('invalid_config');
  });

  test('HOOKFLOW_PORT=abc gives a message starting with the variable name', () => {
    expect(configError({ HOOKFLOW_PORT: 'abc' }).message.startsWith('HOOKFLOW_PORT:')).toBe(true);
  });

  test('every setting that rejects a value names its own variable', () => {
    let rejected = 0;
    for (const setting of Object.values(SETTINGS)) {
      try {
        loadConfig({ [setting.env]: 'not a valid value' });
      } catch (err) {
        rejected += 1;
        expect(err).toBeInstanceOf(ConfigError);
        expect((err as ConfigError).variable).toBe(setting.env);
        expect((err as Error).message.startsWith(`${setting.env}: `)).toBe(true);
      }
    }
    expect(rejected).toBeGreaterThanOrEqual(18);
  });

  test('the first bad variable in table order is the one reported', () => {
    expect(configError({ HOOKFLOW_LOG_LEVEL: 'loud', HOOKFLOW_PORT: 'abc' }).variable).toBe('HOOKFLOW_PORT');
  });
});

describe('version', () => {
  test('VERSION equals package.json’s version', () => {
    expect(VERSION).toBe(pkg.version);
  });

  test('the User-Agent carries the version', () => {
    expect(USER_AGENT).toBe(`hookflow/${pkg.version}`);
  });
});
