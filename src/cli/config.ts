/**
 * Settings resolution: command-line flags > environment > config file > built-in defaults.
 *
 * Go's rules kept (spec/cli.md §2, on-disk.md §1, tuf.md §12): `-c FILE` must exist, the default
 * `~/.notary/config.json` may be missing, keys are case-insensitive, `trust_dir` is ~-expanded
 * and relative to the CWD, TLS paths from the config are relative to the config file's directory
 * and from flags relative to the CWD, `trust_pinning.ca` paths are used as written.
 *
 * Deliberate differences (docs/cli.md): `-d ~/x` is ~-expanded (Go 0.7 creates `./~/x`);
 * GUN keys under `trust_pinning` keep their case (Go lower-cases them, which silently turns a
 * pin on an upper-case GUN into trust-on-first-use); `DOCKER_CONTENT_TRUST_SERVER` is used as the
 * server URL when neither `-s` nor the config names one; only JSON config files are read.
 */
import { readFileSync } from 'node:fs';
import { dirname, extname, isAbsolute, join, resolve } from 'node:path';
import { clipForMessage, NotaryError } from '../errors.js';
import type { Logger } from '../log.js';
import { silentLogger } from '../log.js';
import type { Settings, TrustPinning } from '../repo/settings.js';
import type { GlobalOptions } from './context.js';

export const DEFAULT_SERVER_URL = 'https://notary-server:4443';

type Json = null | boolean | number | string | Json[] | { [k: string]: Json };
type JsonObject = { [k: string]: Json };

function isObject(v: Json | undefined): v is JsonObject {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

/** Case-insensitive lookup of a config key (viper lower-cases every key). */
function getKey(obj: JsonObject | undefined, key: string): Json | undefined {
  if (!obj) return undefined;
  const want = key.toLowerCase();
  let found: Json | undefined;
  for (const [k, v] of Object.entries(obj)) {
    if (k.toLowerCase() === want) found = v;
  }
  return found;
}

/** `~` / `~/x` → $HOME based; other paths unchanged. */
export function expandHome(p: string, home: string | undefined): string {
  if (home === undefined) return p;
  if (p === '~') return home;
  if (p.startsWith('~/')) return join(home, p.slice(2));
  return p;
}

function configError(message: string, cause?: unknown, hint?: string): NotaryError {
  return new NotaryError('CONFIG', message, {
    cause,
    hint: hint ?? 'Fix the configuration file or point -c at a valid JSON file.',
  });
}

/** Go's os.PathError text for the common errno values. */
function goOpenError(path: string, e: unknown): string {
  const code = (e as { code?: string }).code;
  const why: Record<string, string> = {
    ENOENT: 'no such file or directory',
    EACCES: 'permission denied',
    ENOTDIR: 'not a directory',
    EISDIR: 'is a directory',
    ELOOP: 'too many levels of symbolic links',
  };
  return `open ${path}: ${(code && why[code]) || (e instanceof Error ? e.message : String(e))}`;
}

/** Rephrases V8's JSON.parse errors the way Go's encoding/json words them, where it can. */
function goJsonError(text: string, e: unknown): string {
  // V8 quotes the input around the error, raw: keep the message one bounded line.
  const msg = clipForMessage(e instanceof Error ? e.message : String(e));
  if (/end of JSON input/i.test(msg) || text.trim() === '') return 'unexpected end of JSON input';
  const tok = /Unexpected token '?(.)'?/.exec(msg);
  if (tok) return `invalid character '${tok[1]}' in JSON (${msg})`;
  return msg;
}

export interface LoadedConfig {
  /** absolute path of the file read, or undefined when no file was read */
  path: string | undefined;
  data: JsonObject;
}

/** Reads `-c FILE` (required to exist) or `~/.notary/config.json` (optional). */
export async function loadConfigFile(
  configFlag: string | undefined,
  cwd: string,
  home: string | undefined,
  log: Logger = silentLogger,
): Promise<LoadedConfig> {
  const explicit = configFlag !== undefined && configFlag !== '';
  let shown: string;
  let abs: string;
  if (explicit) {
    shown = configFlag;
    abs = resolve(cwd, expandHome(configFlag, home));
  } else {
    abs = join(home ?? cwd, '.notary', 'config.json');
    shown = abs;
  }
  const ext = extname(abs).slice(1).toLowerCase();
  let text: string;
  try {
    // synchronous: one small file, and fs/promises would load Node's stream and readline layers
    text = readFileSync(abs, 'utf8');
  } catch (e) {
    const code = (e as { code?: string }).code;
    if (!explicit && (code === 'ENOENT' || code === 'ENOTDIR')) {
      log.debug('Configuration file not found, using defaults');
      return { path: undefined, data: {} };
    }
    if (code === 'EISDIR')
      throw configError(`error opening config file: Unsupported Config Type "${ext}"`, e);
    throw configError(`error opening config file: ${goOpenError(shown, e)}`, e);
  }
  if (ext !== 'json') {
    throw configError(
      `error opening config file: Unsupported Config Type "${ext}"`,
      undefined,
      'tsnotary reads JSON configuration files only; name the file *.json.',
    );
  }
  let data: unknown;
  try {
    data = JSON.parse(text);
  } catch (e) {
    throw configError(`error opening config file: While parsing config: ${goJsonError(text, e)}`, e);
  }
  if (!isObject(data as Json)) {
    throw configError('error opening config file: While parsing config: the top level is not a JSON object');
  }
  return { path: abs, data: data as JsonObject };
}

function stringSetting(v: Json | undefined, key: string): string | undefined {
  if (v === undefined || v === null) return undefined;
  if (typeof v === 'string') return v;
  if (typeof v === 'number' || typeof v === 'boolean') return String(v);
  throw configError(`invalid format for ${key}`);
}

/** viper's GetBool: booleans, "true"/"1"/…, numbers. */
function boolSetting(v: Json | undefined): boolean {
  if (typeof v === 'boolean') return v;
  if (typeof v === 'number') return v !== 0;
  if (typeof v === 'string') return ['1', 't', 'true'].includes(v.toLowerCase());
  return false;
}

function trustPinningFrom(raw: Json | undefined, cwd: string): TrustPinning {
  // Prototype-free maps: GUN keys such as `__proto__` or `constructor` are ordinary keys.
  const pinning: TrustPinning = { certs: Object.create(null), ca: Object.create(null), disableTofu: false };
  if (raw === undefined || raw === null) return pinning;
  if (!isObject(raw)) throw configError('invalid format for trust_pinning');
  const certs = getKey(raw, 'certs');
  if (certs !== undefined && certs !== null) {
    if (!isObject(certs)) throw configError('invalid format for trust_pinning.certs');
    for (const [gun, ids] of Object.entries(certs)) {
      if (!Array.isArray(ids) || !ids.every((i) => typeof i === 'string')) {
        throw configError('invalid format for trust_pinning.certs');
      }
      pinning.certs[gun] = ids as string[];
    }
  }
  const ca = getKey(raw, 'ca');
  if (ca !== undefined && ca !== null) {
    if (!isObject(ca)) throw configError('invalid format for trust_pinning.ca');
    for (const [prefix, path] of Object.entries(ca)) {
      if (typeof path !== 'string') throw configError('invalid format for trust_pinning.ca');
      pinning.ca[prefix] = resolve(cwd, path);
    }
  }
  pinning.disableTofu = boolSetting(getKey(raw, 'disable_tofu'));
  return pinning;
}

export { validateServerUrl } from '../remote/server-url.js';

/**
 * Resolves the Settings of one run. `home` is $HOME (undefined when unset: Go then warns and
 * keeps its data in `<cwd>/.notary`).
 */
export async function resolveSettings(
  globals: GlobalOptions,
  env: NodeJS.ProcessEnv,
  cwd: string,
  home: string | undefined,
  log: Logger = silentLogger,
): Promise<Settings> {
  if (home === undefined || home === '') {
    home = undefined;
    log.warn('cannot get current user home directory: environment variable not set');
    log.warn(`notary will use ${join(cwd, '.notary')} to store configuration and keys`);
  }
  const config = await loadConfigFile(globals.configFile, cwd, home, log);
  const data = config.data;
  const configDir = config.path ? dirname(config.path) : cwd;
  const fromConfigFile = (p: string) => resolve(configDir, expandHome(p, home));
  const fromCwd = (p: string) => resolve(cwd, expandHome(p, home));

  // trust dir
  let trustDir: string;
  const cfgTrust = stringSetting(getKey(data, 'trust_dir'), 'trust_dir');
  if (globals.trustDir) trustDir = fromCwd(globals.trustDir);
  else if (cfgTrust) trustDir = fromCwd(cfgTrust);
  else trustDir = home !== undefined ? join(home, '.notary') : join(cwd, '.notary');
  log.debug(`Using the following trust directory: ${trustDir}`);

  // server
  const remote = getKey(data, 'remote_server');
  const remoteObj = isObject(remote) ? remote : undefined;
  if (remote !== undefined && remote !== null && !remoteObj)
    throw configError('invalid format for remote_server');
  const cfgUrl = stringSetting(getKey(remoteObj, 'url'), 'remote_server.url');
  const envUrl = env['DOCKER_CONTENT_TRUST_SERVER'];
  const serverUrl = globals.server || cfgUrl || envUrl || DEFAULT_SERVER_URL;

  // TLS
  const cfgCa = stringSetting(getKey(remoteObj, 'root_ca'), 'remote_server.root_ca');
  const cfgCert = stringSetting(getKey(remoteObj, 'tls_client_cert'), 'remote_server.tls_client_cert');
  const cfgKey = stringSetting(getKey(remoteObj, 'tls_client_key'), 'remote_server.tls_client_key');
  const pick = (flag: string | undefined, cfg: string | undefined): string | undefined =>
    flag ? fromCwd(flag) : cfg ? fromConfigFile(cfg) : undefined;
  const tls: Settings['tls'] = { skipVerify: boolSetting(getKey(remoteObj, 'skiptlsverify')) };
  const caFile = pick(globals.tlscacert, cfgCa);
  const certFile = pick(globals.tlscert, cfgCert);
  const keyFile = pick(globals.tlskey, cfgKey);
  if (caFile) tls.caFile = caFile;
  if (certFile) tls.certFile = certFile;
  if (keyFile) tls.keyFile = keyFile;

  const settings: Settings = {
    trustDir,
    serverUrl,
    tls,
    trustPinning: trustPinningFrom(getKey(data, 'trust_pinning'), cwd),
  };

  const pkcs11 = getKey(data, 'pkcs11');
  const cfgModule = isObject(pkcs11) ? stringSetting(getKey(pkcs11, 'module'), 'pkcs11.module') : undefined;
  const module = env['NOTARY_PKCS11_MODULE'] || cfgModule;
  // a bare library name is left to the dynamic loader's search path
  if (module) settings.pkcs11Module = isAbsolute(module) || !module.includes('/') ? module : fromCwd(module);
  const p11 = isObject(pkcs11) ? pkcs11 : undefined;
  const label =
    env['NOTARY_PKCS11_TOKEN_LABEL'] || stringSetting(getKey(p11, 'token_label'), 'pkcs11.token_label');
  if (label) settings.pkcs11TokenLabel = label;
  // Opt-out of Go's backup copy of a token key: env wins over config, like the module path.
  const noBackupEnv = env['NOTARY_PKCS11_NO_BACKUP'];
  const cfgBackup = getKey(p11, 'backup');
  if (noBackupEnv) settings.pkcs11Backup = !boolSetting(noBackupEnv);
  else if (cfgBackup !== undefined && cfgBackup !== null) settings.pkcs11Backup = boolSetting(cfgBackup);
  return settings;
}
