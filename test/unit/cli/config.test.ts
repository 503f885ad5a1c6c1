import { mkdirSync, mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { DEFAULT_SERVER_URL, resolveSettings, validateServerUrl } from '../../../src/cli/config.js';
import type { GlobalOptions } from '../../../src/cli/context.js';
import { NotaryError } from '../../../src/errors.js';
import type { Logger } from '../../../src/log.js';

const base: GlobalOptions = { debug: false, verbose: false, output: 'table' };
const tmp = () => mkdtempSync(join(tmpdir(), 'tsnotary-cfg-'));

function recorder(): Logger & { lines: string[] } {
  const lines: string[] = [];
  return {
    lines,
    error: (m) => lines.push(`error ${m}`),
    warn: (m) => lines.push(`warn ${m}`),
    info: (m) => lines.push(`info ${m}`),
    debug: (m) => lines.push(`debug ${m}`),
  };
}

async function configError(p: Promise<unknown>): Promise<string> {
  try {
    await p;
  } catch (e) {
    expect(e).toBeInstanceOf(NotaryError);
    expect((e as NotaryError).code).toBe('CONFIG');
    return (e as Error).message;
  }
  throw new Error('expected a CONFIG error');
}

describe('resolveSettings', () => {
  it('defaults: ~/.notary, Go default server, missing default config is fine', async () => {
    const home = tmp();
    const log = recorder();
    const s = await resolveSettings(base, {}, '/work', home, log);
    expect(s.trustDir).toBe(join(home, '.notary'));
    expect(s.serverUrl).toBe(DEFAULT_SERVER_URL);
    expect(s.tls).toEqual({ skipVerify: false });
    expect(s.trustPinning).toEqual({ certs: {}, ca: {}, disableTofu: false });
    expect(log.lines).toContain('debug Configuration file not found, using defaults');
  });

  it('reads ~/.notary/config.json with case-insensitive keys; config TLS paths are relative to the file', async () => {
    const home = tmp();
    mkdirSync(join(home, '.notary'));
    writeFileSync(
      join(home, '.notary', 'config.json'),
      JSON.stringify({
        Trust_Dir: '~/trust',
        REMOTE_SERVER: {
          Url: 'https://cfg:4443',
          root_ca: 'ca.crt',
          tls_client_cert: '/abs/c.crt',
          skipTLSVerify: true,
        },
      }),
    );
    const s = await resolveSettings(base, {}, '/work', home);
    expect(s.trustDir).toBe(join(home, 'trust'));
    expect(s.serverUrl).toBe('https://cfg:4443');
    expect(s.tls).toEqual({
      caFile: join(home, '.notary', 'ca.crt'),
      certFile: '/abs/c.crt',
      skipVerify: true,
    });
  });

  it('precedence: flags > config > DOCKER_CONTENT_TRUST_SERVER > default; flag paths are CWD-relative', async () => {
    const home = tmp();
    const dir = tmp();
    const cfg = join(dir, 'c.json');
    writeFileSync(
      cfg,
      JSON.stringify({ trust_dir: 'rel', remote_server: { url: 'https://cfg', root_ca: 'ca.pem' } }),
    );
    const env = { DOCKER_CONTENT_TRUST_SERVER: 'https://env' };
    const fromCfg = await resolveSettings({ ...base, configFile: cfg }, env, '/cwd', home);
    expect(fromCfg.trustDir).toBe('/cwd/rel');
    expect(fromCfg.serverUrl).toBe('https://cfg');
    expect(fromCfg.tls.caFile).toBe(join(dir, 'ca.pem'));
    const flags = await resolveSettings(
      {
        ...base,
        configFile: cfg,
        trustDir: 'td',
        server: 'https://flag',
        tlscacert: 'x/ca.pem',
        tlskey: '~/k.pem',
      },
      env,
      '/cwd',
      home,
    );
    expect(flags.trustDir).toBe('/cwd/td');
    expect(flags.serverUrl).toBe('https://flag');
    expect(flags.tls.caFile).toBe('/cwd/x/ca.pem');
    expect(flags.tls.keyFile).toBe(join(home, 'k.pem'));
    const envOnly = await resolveSettings(base, env, '/cwd', home);
    expect(envOnly.serverUrl).toBe('https://env');
  });

  it('-d ~/x expands ~ (Go 0.7 creates ./~/x; documented deviation)', async () => {
    const home = tmp();
    const s = await resolveSettings({ ...base, trustDir: '~/x' }, {}, '/cwd', home);
    expect(s.trustDir).toBe(join(home, 'x'));
  });

  it('-c errors use Go wording', async () => {
    const dir = tmp();
    expect(await configError(resolveSettings({ ...base, configFile: 'missing.json' }, {}, dir, dir))).toBe(
      'error opening config file: open missing.json: no such file or directory',
    );
    writeFileSync(join(dir, 'bad.json'), '{"trust_dir": ');
    expect(await configError(resolveSettings({ ...base, configFile: 'bad.json' }, {}, dir, dir))).toBe(
      'error opening config file: While parsing config: unexpected end of JSON input',
    );
    expect(await configError(resolveSettings({ ...base, configFile: dir }, {}, dir, dir))).toBe(
      'error opening config file: Unsupported Config Type ""',
    );
    writeFileSync(join(dir, 'c.yaml'), 'trust_dir: x\n');
    expect(await configError(resolveSettings({ ...base, configFile: 'c.yaml' }, {}, dir, dir))).toBe(
      'error opening config file: Unsupported Config Type "yaml"',
    );
  });

  it('trust_pinning: certs, ca (CWD-relative), disable_tofu, format errors', async () => {
    const dir = tmp();
    const cfg = join(dir, 'p.json');
    writeFileSync(
      cfg,
      JSON.stringify({
        TRUST_PINNING: {
          certs: { 'Example.com/App': ['abc'], 'example.com/*': ['def'] },
          CA: { 'example.com/': 'ca.pem' },
          disable_tofu: 'true',
        },
      }),
    );
    const s = await resolveSettings({ ...base, configFile: cfg }, {}, '/cwd', dir);
    expect(s.trustPinning).toEqual({
      certs: { 'Example.com/App': ['abc'], 'example.com/*': ['def'] },
      ca: { 'example.com/': '/cwd/ca.pem' },
      disableTofu: true,
    });
    writeFileSync(cfg, JSON.stringify({ trust_pinning: { certs: { a: 'b' } } }));
    expect(await configError(resolveSettings({ ...base, configFile: cfg }, {}, '/cwd', dir))).toBe(
      'invalid format for trust_pinning.certs',
    );
  });

  it('unset $HOME: Go warnings, data in <cwd>/.notary', async () => {
    const cwd = tmp();
    const log = recorder();
    const s = await resolveSettings(base, {}, cwd, undefined, log);
    expect(s.trustDir).toBe(join(cwd, '.notary'));
    expect(log.lines).toContain('warn cannot get current user home directory: environment variable not set');
    expect(log.lines).toContain(
      `warn notary will use ${join(cwd, '.notary')} to store configuration and keys`,
    );
  });

  it('pkcs11 module: env over config', async () => {
    const dir = tmp();
    const cfg = join(dir, 'p.json');
    writeFileSync(cfg, JSON.stringify({ pkcs11: { module: '/usr/lib/cfg.so' } }));
    expect((await resolveSettings({ ...base, configFile: cfg }, {}, '/', dir)).pkcs11Module).toBe(
      '/usr/lib/cfg.so',
    );
    expect(
      (await resolveSettings({ ...base, configFile: cfg }, { NOTARY_PKCS11_MODULE: '/env.so' }, '/', dir))
        .pkcs11Module,
    ).toBe('/env.so');
  });
});

describe('validateServerUrl (texts from Go notary 0.7)', () => {
  const msg = (u: string) => {
    try {
      validateServerUrl(u);
    } catch (e) {
      return (e as Error).message;
    }
    return 'ok';
  };
  it('accepts http(s) URLs', () => {
    expect(msg('https://notary.example.com:4443')).toBe('ok');
    expect(msg('http://127.0.0.1:4450/')).toBe('ok');
    expect(msg('http://[::1]:4443')).toBe('ok');
  });
  it('rejects URLs without scheme or unparsable ones as Go does', () => {
    expect(msg('foo')).toBe('Trust server url has to be in the form of http(s)://URL:PORT. Got: foo');
    expect(msg('ftp//x')).toBe('Trust server url has to be in the form of http(s)://URL:PORT. Got: ftp//x');
    expect(msg('127.0.0.1:4450')).toBe(
      'Could not parse remote trust server url (127.0.0.1:4450): parse "127.0.0.1:4450": first path segment in URL cannot contain colon',
    );
    expect(msg('http://[::1')).toBe(
      'Could not parse remote trust server url (http://[::1): parse "http://[::1": missing \']\' in host',
    );
  });
});
