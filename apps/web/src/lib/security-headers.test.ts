// The dashboard's headers as next.config.ts sets them: a policy that keeps pages to their own origin
// and unframeable, stricter in a production build than under next dev.
import { describe, expect, it } from 'vitest';
import nextConfig from '../../next.config';
import { contentSecurityPolicy } from './security-headers';

function directives(policy: string): Map<string, string[]> {
  return new Map(
    policy.split(';').map((directive) => {
      const [name = '', ...sources] = directive.trim().split(/\s+/);
      return [name, sources];
    }),
  );
}

describe('dashboard security headers', () => {
  it('next.config applies them to every path', async () => {
    const rules = (await nextConfig.headers?.()) ?? [];
    expect(rules).toHaveLength(1);
    expect(rules[0]?.source).toBe('/:path*');
    const headers = new Map(rules[0]?.headers.map(({ key, value }) => [key.toLowerCase(), value]));
    expect(headers.get('x-frame-options')).toBe('DENY');
    expect(headers.get('x-content-type-options')).toBe('nosniff');
    expect(headers.get('referrer-policy')).toBe('strict-origin-when-cross-origin');
    expect(directives(headers.get('content-security-policy') ?? '').get('frame-ancestors')).toEqual([
      "'none'",
    ]);
  });

  it('production allows only this origin, and no eval', () => {
    const production = directives(contentSecurityPolicy({ development: false }));
    expect(production.get('default-src')).toEqual(["'self'"]);
    expect(production.get('script-src')).toEqual(["'self'", "'unsafe-inline'"]);
    expect(production.get('connect-src')).toEqual(["'self'"]);
    expect(production.get('object-src')).toEqual(["'none'"]);
    expect(production.get('base-uri')).toEqual(["'self'"]);
    expect(production.get('form-action')).toEqual(["'self'"]);
    for (const sources of production.values()) {
      expect(sources.filter((source) => /^(https?:|\*$)/.test(source))).toEqual([]);
    }
  });

  it('next dev additionally gets the eval and websocket its fast refresh needs', () => {
    const development = directives(contentSecurityPolicy({ development: true }));
    expect(development.get('script-src')).toContain("'unsafe-eval'");
    expect(development.get('connect-src')).toContain('ws:');
  });
});
