/**
 * Go's `http.ProxyFromEnvironment` (golang.org/x/net/http/httpproxy): which proxy, if any, a
 * request URL goes through. Loopback and `localhost` are never proxied — undici's
 * EnvHttpProxyAgent would proxy them, so the rule is implemented here.
 */
import { isIP } from 'node:net';

type Env = Readonly<Record<string, string | undefined>>;

function envAny(env: Env, ...names: string[]): string {
  for (const n of names) {
    const v = env[n];
    if (v !== undefined && v !== '') return v;
  }
  return '';
}

function isLoopback(host: string): boolean {
  if (host === 'localhost' || host.endsWith('.localhost')) return true;
  const kind = isIP(host);
  if (kind === 4) return host.startsWith('127.');
  if (kind === 6) return /^(0*:)*:?0*1$/.test(host) || host.toLowerCase().startsWith('::ffff:127.');
  return false;
}

function ipv4ToInt(ip: string): number {
  return ip.split('.').reduce((acc, part) => acc * 256 + Number(part), 0);
}

function matchesNoProxyEntry(entry: string, host: string, port: string): boolean {
  let pattern = entry.trim().toLowerCase();
  if (pattern === '') return false;
  if (pattern === '*') return true;
  // CIDR (IPv4 only here; IPv6 CIDRs are rare in NO_PROXY and compared literally below)
  const cidr = /^(\d+\.\d+\.\d+\.\d+)\/(\d+)$/.exec(pattern);
  if (cidr) {
    if (isIP(host) !== 4) return false;
    const bits = Number(cidr[2]);
    const mask = bits === 0 ? 0 : (0xffffffff << (32 - bits)) >>> 0;
    return (ipv4ToInt(host) & mask) >>> 0 === (ipv4ToInt(cidr[1] ?? '') & mask) >>> 0;
  }
  let entryPort = '';
  const withPort = /^(.*[^:\]]):(\d+)$/.exec(pattern);
  if (withPort && isIP(pattern) !== 6) {
    pattern = withPort[1] ?? '';
    entryPort = withPort[2] ?? '';
  }
  pattern = pattern.replace(/^\[|\]$/g, '');
  if (entryPort !== '' && entryPort !== port) return false;
  if (isIP(pattern)) return pattern === host;
  if (pattern.startsWith('*.')) pattern = pattern.slice(1);
  if (pattern.startsWith('.')) return host.endsWith(pattern) || host === pattern.slice(1);
  return host === pattern || host.endsWith(`.${pattern}`);
}

/** The proxy URL for `target`, or undefined for a direct connection. */
export function proxyFor(target: URL, env: Env): string | undefined {
  const host = target.hostname.replace(/^\[|\]$/g, '').toLowerCase();
  if (isLoopback(host)) return undefined;
  const proxy =
    target.protocol === 'https:'
      ? envAny(env, 'HTTPS_PROXY', 'https_proxy')
      : envAny(env, 'HTTP_PROXY', 'http_proxy');
  if (proxy === '') return undefined;
  const port = target.port || (target.protocol === 'https:' ? '443' : '80');
  const noProxy = envAny(env, 'NO_PROXY', 'no_proxy');
  if (noProxy.split(',').some((e) => matchesNoProxyEntry(e, host, port))) return undefined;
  // Go accepts a bare host:port and treats it as http://host:port.
  return /^[a-zA-Z][a-zA-Z0-9+.-]*:\/\//.test(proxy) ? proxy : `http://${proxy}`;
}
