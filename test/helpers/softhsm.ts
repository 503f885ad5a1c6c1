/**
 * A private SoftHSM2 token for tests: its own SOFTHSM2_CONF and token directory under a temp
 * dir (never the system's /etc/softhsm or /var/lib/softhsm), initialised with Go notary's
 * Yubikey factory PINs unless the test asks for others.
 *
 * SoftHSM reads SOFTHSM2_CONF when the library is initialised, so the helper sets it in this
 * process's environment (restored by `cleanup()`) and hands the same value to child processes
 * through `env`.
 */
import { execFile } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';

const run = promisify(execFile);

export const SOFTHSM_MODULE = '/usr/lib/softhsm/libsofthsm2.so';
/** Go notary's hard-coded PIV factory defaults (trustmanager/yubikey). */
export const GO_USER_PIN = '123456';
export const GO_SO_PIN = '010203040506070801020304050607080102030405060708';

export const softhsmAvailable = existsSync(SOFTHSM_MODULE);

export interface SoftHsmOptions {
  label?: string;
  userPin?: string;
  soPin?: string;
}

export interface SoftHsmToken {
  dir: string;
  modulePath: string;
  label: string;
  userPin: string;
  soPin: string;
  /** the value of SOFTHSM2_CONF, also set in process.env while the token lives */
  conf: string;
  /** environment for child processes (Go notary, softhsm2-util, pkcs11-tool) */
  env: Record<string, string>;
  /** `pkcs11-tool --module <softhsm> --token-label <label> ...args` */
  pkcs11Tool(args: string[]): Promise<{ stdout: string; stderr: string }>;
  /** `softhsm2-util ...args` with this token's config */
  softhsmUtil(args: string[]): Promise<{ stdout: string; stderr: string }>;
  cleanup(): void;
}

export async function createSoftHsmToken(opts: SoftHsmOptions = {}): Promise<SoftHsmToken> {
  const dir = mkdtempSync(join(tmpdir(), 'tsnotary-softhsm-'));
  const tokens = join(dir, 'tokens');
  mkdirSync(tokens, { mode: 0o700 });
  const conf = join(dir, 'softhsm2.conf');
  writeFileSync(
    conf,
    `directories.tokendir = ${tokens}\nobjectstore.backend = file\nlog.level = ERROR\nslots.removable = false\n`,
  );
  const label = opts.label ?? 'notary';
  const userPin = opts.userPin ?? GO_USER_PIN;
  const soPin = opts.soPin ?? GO_SO_PIN;
  const previous = process.env['SOFTHSM2_CONF'];
  process.env['SOFTHSM2_CONF'] = conf;
  const env = { SOFTHSM2_CONF: conf };
  const childEnv = { ...process.env, SOFTHSM2_CONF: conf };
  const softhsmUtil = (args: string[]) => run('softhsm2-util', args, { env: childEnv });
  const pkcs11Tool = (args: string[]) =>
    run('pkcs11-tool', ['--module', SOFTHSM_MODULE, '--token-label', label, ...args], { env: childEnv });
  // PINs go through argv here only because this is a throwaway test token.
  await softhsmUtil(['--init-token', '--free', '--label', label, '--so-pin', soPin, '--pin', userPin]);
  return {
    dir,
    modulePath: SOFTHSM_MODULE,
    label,
    userPin,
    soPin,
    conf,
    env,
    pkcs11Tool,
    softhsmUtil,
    cleanup() {
      if (process.env['SOFTHSM2_CONF'] === conf) {
        if (previous === undefined) delete process.env['SOFTHSM2_CONF'];
        else process.env['SOFTHSM2_CONF'] = previous;
      }
      rmSync(dir, { recursive: true, force: true });
    },
  };
}

/**
 * Puts a root key on the token exactly as pkcs11.md §6 ("Go's layout"): openssl key + self-signed
 * `CN=root` certificate, softhsm2-util import (private + public key), pkcs11-tool cert write,
 * all with CKA_ID `idHex`. Returns the PEM private key so the test can check signatures.
 */
export async function putGoLayoutKey(
  token: SoftHsmToken,
  idHex = '02',
  cn = 'root',
): Promise<{ keyPem: string }> {
  const work = mkdtempSync(join(token.dir, 'key-'));
  const keyFile = join(work, 'root.pem');
  const certFile = join(work, 'root.der');
  await run('openssl', [
    'genpkey',
    '-algorithm',
    'EC',
    '-pkeyopt',
    'ec_paramgen_curve:P-256',
    '-out',
    keyFile,
  ]);
  await run('openssl', [
    'req',
    '-x509',
    '-key',
    keyFile,
    '-sha256',
    '-days',
    '3650',
    '-subj',
    `/CN=${cn}`,
    '-outform',
    'DER',
    '-out',
    certFile,
  ]);
  await token.softhsmUtil([
    '--import',
    keyFile,
    '--token',
    token.label,
    '--label',
    cn,
    '--id',
    idHex,
    '--pin',
    token.userPin,
  ]);
  await token.pkcs11Tool([
    '--login',
    '--pin',
    token.userPin,
    '--write-object',
    certFile,
    '--type',
    'cert',
    '--id',
    idHex,
    '--label',
    cn,
  ]);
  return { keyPem: readFileSync(keyFile, 'utf8') };
}
