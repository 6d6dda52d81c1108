// The API's environment: the proxies trusted for X-Forwarded-For and the failed-authentication limit.
import { describe, expect, it } from 'vitest';
import { ConfigError, DEFAULT_AUTH_FAILURES_PER_MINUTE, loadConfig } from './env.js';

const REQUIRED = {
  DATABASE_URL: 'postgresql://postgres@127.0.0.1:5432/postgres',
  REDIS_URL: 'redis://127.0.0.1:6379',
};

describe('loadConfig', () => {
  it('trusts no proxy and allows the default failed authentications unless told otherwise', () => {
    const config = loadConfig(REQUIRED);
    expect(config.trustProxy).toEqual([]);
    expect(config.authFailuresPerMinute).toBe(DEFAULT_AUTH_FAILURES_PER_MINUTE);
  });

  it('reads BILINEAR_TRUST_PROXY as a comma-separated list of addresses, ranges and names', () => {
    const config = loadConfig({
      ...REQUIRED,
      BILINEAR_TRUST_PROXY: ' 10.0.0.0/8, 192.168.1.10 ,loopback,fd00::/8,',
      BILINEAR_AUTH_FAILURES_PER_MINUTE: '12',
    });
    expect(config.trustProxy).toEqual(['10.0.0.0/8', '192.168.1.10', 'loopback', 'fd00::/8']);
    expect(config.authFailuresPerMinute).toBe(12);
  });

  it.each(['everyone', '10.0.0.0/33', '10.0.0.1/8/2', '300.1.1.1', 'true'])(
    'refuses %s as a proxy',
    (entry) => {
      expect(() => loadConfig({ ...REQUIRED, BILINEAR_TRUST_PROXY: entry })).toThrow(ConfigError);
      expect(() => loadConfig({ ...REQUIRED, BILINEAR_TRUST_PROXY: entry })).toThrow(
        `BILINEAR_TRUST_PROXY: ${entry} is not an IP address`,
      );
    },
  );
});
