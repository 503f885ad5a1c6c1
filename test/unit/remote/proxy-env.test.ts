import { describe, expect, test } from 'vitest';
import { proxyFor } from '../../../src/remote/proxy-env.js';

const P = 'http://proxy:3128';
const u = (s: string) => new URL(s);

describe("proxy selection (Go's ProxyFromEnvironment)", () => {
  test('https uses HTTPS_PROXY, http uses HTTP_PROXY; uppercase wins', () => {
    expect(proxyFor(u('https://notary.example:4443'), { HTTPS_PROXY: P, HTTP_PROXY: 'http://other:1' })).toBe(
      P,
    );
    expect(proxyFor(u('http://notary.example:4443'), { HTTPS_PROXY: P })).toBeUndefined();
    expect(proxyFor(u('http://notary.example'), { http_proxy: 'http://low:1', HTTP_PROXY: P })).toBe(P);
  });

  test('loopback and localhost are never proxied', () => {
    const env = { HTTPS_PROXY: P, HTTP_PROXY: P };
    for (const url of [
      'https://127.0.0.1:4443',
      'http://127.8.9.1',
      'https://localhost:1',
      'https://[::1]:4443',
      'http://a.localhost',
    ]) {
      expect(proxyFor(u(url), env)).toBeUndefined();
    }
  });

  test('NO_PROXY: *, domains, leading dot, ports, IPs, CIDR', () => {
    const base = { HTTPS_PROXY: P };
    expect(proxyFor(u('https://a.example'), { ...base, NO_PROXY: '*' })).toBeUndefined();
    expect(proxyFor(u('https://sub.example.com'), { ...base, NO_PROXY: 'example.com' })).toBeUndefined();
    expect(proxyFor(u('https://example.com'), { ...base, NO_PROXY: '.example.com' })).toBeUndefined();
    expect(proxyFor(u('https://notexample.com'), { ...base, NO_PROXY: 'example.com' })).toBe(P);
    expect(
      proxyFor(u('https://example.com:4443'), { ...base, no_proxy: 'example.com:4443' }),
    ).toBeUndefined();
    expect(proxyFor(u('https://example.com:443'), { ...base, NO_PROXY: 'example.com:4443' })).toBe(P);
    expect(proxyFor(u('https://10.1.2.3'), { ...base, NO_PROXY: '10.0.0.0/8' })).toBeUndefined();
    expect(proxyFor(u('https://11.1.2.3'), { ...base, NO_PROXY: '10.0.0.0/8, 11.1.2.3' })).toBeUndefined();
    expect(proxyFor(u('https://12.1.2.3'), { ...base, NO_PROXY: '10.0.0.0/8' })).toBe(P);
  });

  test('a proxy without scheme is http://', () => {
    expect(proxyFor(u('https://a.example'), { HTTPS_PROXY: 'proxy:3128' })).toBe('http://proxy:3128');
  });
});
