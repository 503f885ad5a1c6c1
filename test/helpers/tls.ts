import { execFileSync } from 'node:child_process';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fixturesDir } from './cli.js';

/** Test PKI made with openssl at test time: a CA, a server cert for 127.0.0.1/localhost, a client cert. */
export interface TestPki {
  dir: string;
  caCert: string;
  caKey: string;
  serverCert: string;
  serverKey: string;
  clientCert: string;
  clientKey: string;
}

function openssl(args: string[]): void {
  execFileSync('openssl', args, { stdio: ['ignore', 'pipe', 'pipe'] });
}

export function ecKey(file: string): void {
  openssl(['ecparam', '-name', 'prime256v1', '-genkey', '-noout', '-out', file]);
}

/** A self-signed certificate for `key`, valid from now (openssl's clock) for `days`. */
export function selfSignedCert(
  key: string,
  cert: string,
  days: number,
  cn: string,
  extra: string[] = [],
): void {
  openssl([
    'req',
    '-new',
    '-x509',
    '-key',
    key,
    '-out',
    cert,
    '-days',
    String(days),
    '-sha256',
    '-subj',
    `/CN=${cn}`,
    ...extra,
  ]);
}

function makeCa(dir: string, name: string): { cert: string; key: string } {
  const key = join(dir, `${name}.key`);
  const cert = join(dir, `${name}.crt`);
  ecKey(key);
  selfSignedCert(key, cert, 30, `tsnotary test ${name}`, [
    '-addext',
    'basicConstraints=critical,CA:TRUE',
    '-addext',
    'keyUsage=critical,keyCertSign,cRLSign',
  ]);
  return { cert, key };
}

function issue(
  dir: string,
  name: string,
  ca: { cert: string; key: string },
  cn: string,
  ext: string[],
): { cert: string; key: string } {
  const key = join(dir, `${name}.key`);
  const csr = join(dir, `${name}.csr`);
  const cert = join(dir, `${name}.crt`);
  const extFile = join(dir, `${name}.ext`);
  ecKey(key);
  openssl(['req', '-new', '-key', key, '-out', csr, '-subj', `/CN=${cn}`]);
  writeFileSync(extFile, `${ext.join('\n')}\n`);
  openssl([
    'x509',
    '-req',
    '-in',
    csr,
    '-CA',
    ca.cert,
    '-CAkey',
    ca.key,
    '-CAcreateserial',
    '-out',
    cert,
    '-days',
    '30',
    '-sha256',
    '-extfile',
    extFile,
  ]);
  return { cert, key };
}

/** A CA with a server certificate (SAN IP:127.0.0.1, DNS:localhost, or `hosts`) and a client certificate. */
export function makeTestPki(opts: { serverSan?: string } = {}): TestPki {
  const dir = mkdtempSync(join(tmpdir(), 'tsnotary-pki-'));
  const ca = makeCa(dir, 'ca');
  const server = issue(dir, 'server', ca, '127.0.0.1', [
    `subjectAltName=${opts.serverSan ?? 'IP:127.0.0.1,DNS:localhost'}`,
    'basicConstraints=CA:FALSE',
    'keyUsage=digitalSignature,keyEncipherment',
    'extendedKeyUsage=serverAuth',
  ]);
  const client = issue(dir, 'client', ca, 'tsnotary-test-client', [
    'basicConstraints=CA:FALSE',
    'keyUsage=digitalSignature,keyEncipherment',
    'extendedKeyUsage=clientAuth',
  ]);
  return {
    dir,
    caCert: ca.cert,
    caKey: ca.key,
    serverCert: server.cert,
    serverKey: server.key,
    clientCert: client.cert,
    clientKey: client.key,
  };
}

/** A self-signed certificate + key (e.g. the token issuer's signing cert). */
export function selfSigned(dir: string, name: string, cn: string): { cert: string; key: string } {
  const key = join(dir, `${name}.key`);
  const cert = join(dir, `${name}.crt`);
  ecKey(key);
  openssl([
    'req',
    '-new',
    '-x509',
    '-key',
    key,
    '-out',
    cert,
    '-days',
    '30',
    '-sha256',
    '-subj',
    `/CN=${cn}`,
  ]);
  return { cert, key };
}

const fixtureCerts = new Map<string, string>();

/**
 * A fresh certificate for a fixture delegation key (`fixtures/go/certs/<name>.key`), same CN,
 * valid ten years from now. Tests that hand a certificate to the Go client or a real-clock
 * command use this instead of the fixture's own `.crt`, which expires on 2036-11-19: the key and
 * its canonical ID are the fixture's, the validity is relative to the clock the test runs on.
 */
export function fixtureCertNow(name: 'delegation-ecdsa' | 'delegation-rsa'): string {
  const cached = fixtureCerts.get(name);
  if (cached) return cached;
  const dir = mkdtempSync(join(tmpdir(), 'tsnotary-fixture-cert-'));
  const cert = join(dir, `${name}.crt`);
  const cn = name === 'delegation-ecdsa' ? 'fixtures-releases' : 'fixtures-rsa';
  const key = join(fixturesDir, 'go', 'certs', `${name}.key`);
  selfSignedCert(key, cert, 3650, cn);
  fixtureCerts.set(name, cert);
  return cert;
}
