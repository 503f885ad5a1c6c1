import { execFileSync } from 'node:child_process';
import { createPublicKey, verify, X509Certificate } from 'node:crypto';
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { children, readTlv } from '../../../src/crypto/der.js';
import { generateKey } from '../../../src/crypto/keygen.js';
import { pemDecodeFirst } from '../../../src/crypto/pem.js';
import { parsePrivateKeyPem } from '../../../src/crypto/private-key.js';
import {
  certToPem,
  commonName,
  createRootCertificate,
  parseCertificates,
  signatureAlgorithmOid,
  validateCertificate,
} from '../../../src/crypto/x509.js';
import { fileSigner } from '../../../src/keystore/signer.js';
import { fixturesDir, tempDir } from '../../helpers/cli.js';

const vec = join(fixturesDir, 'vectors');
const goCertPem = readFileSync(join(vec, 'keyid', 'ecdsa-x509-root-generated-by-notary.crt'), 'utf8');
const rootKey = parsePrivateKeyPem(
  pemDecodeFirst(readFileSync(join(vec, 'pkcs8', 'ecdsa-root.key'), 'utf8')).block!,
  'fixture-root',
);

function tbsOf(der: Buffer): Buffer {
  return children(readTlv(der))[0]!.raw;
}

describe('root certificate', () => {
  it('TBS equals the one Go wrote for the same key, gun and time (given its serial)', async () => {
    const goDer = pemDecodeFirst(goCertPem).block!.bytes;
    const goSerial = children(readTlv(tbsOf(goDer)))[1]!.value;
    const der = await createRootCertificate(
      rootKey,
      'example.com/fixtures/demo',
      new Date('2026-11-22T02:00:04.9Z'),
      10,
      goSerial,
    );
    expect(tbsOf(der).toString('hex')).toBe(tbsOf(goDer).toString('hex'));
    // signature verifies with the key
    const cert = new X509Certificate(der);
    expect(cert.verify(cert.publicKey)).toBe(true);
    expect(certToPem(der).startsWith('-----BEGIN CERTIFICATE-----\n')).toBe(true);
  });

  it('UTF8String CN for non-printable characters, random positive serial', async () => {
    const der = await createRootCertificate(generateKey('ecdsa'), 'example.com/my_app', new Date());
    const tbs = children(readTlv(tbsOf(der)));
    const serial = tbs[1]!;
    expect(serial.value[0]! & 0x80).toBe(0);
    const cnValue = children(children(children(tbs[3]!)[0]!)[0]!)[1]!;
    expect(cnValue.tag).toBe(0x0c);
    expect(commonName(new X509Certificate(der))).toBe('example.com/my_app');
  });

  it('signs through a Signer (token keys) and RSA with sha256WithRSA', async () => {
    const k = generateKey('ecdsa');
    const der = await createRootCertificate(fileSigner(k, 'x'), 'gun', new Date());
    const cert = new X509Certificate(der);
    expect(cert.verify(createPublicKey(k.keyObject))).toBe(true);
    const rsa = generateKey('rsa');
    const rder = await createRootCertificate(rsa, 'gun', new Date());
    expect(signatureAlgorithmOid(rder)).toBe('1.2.840.113549.1.1.11');
    expect(new X509Certificate(rder).verify(createPublicKey(rsa.keyObject))).toBe(true);
    expect(verify).toBeTypeOf('function');
  });

  it('calendar years (Go AddDate) for the token path', async () => {
    const der = await createRootCertificate(generateKey('ecdsa'), 'root', new Date('2028-02-29T10:00:00Z'), {
      calendarYears: 10,
    });
    expect(new X509Certificate(der).validTo).toBe('Mar  1 10:00:00 2038 GMT');
  });

  it('openssl shows Go’s layout', async () => {
    const der = await createRootCertificate(
      generateKey('ecdsa'),
      'example.com/app',
      new Date('2026-11-22T03:30:00Z'),
    );
    const f = join(tempDir(), 'c.pem');
    writeFileSync(f, certToPem(der));
    const text = execFileSync('openssl', ['x509', '-in', f, '-noout', '-text'], { encoding: 'utf8' });
    expect(text).toContain('Not Before: Nov 22 03:30:00 2026 GMT');
    expect(text).toContain('Not After : Nov 19 03:30:00 2036 GMT');
    expect(text).toMatch(/X509v3 Key Usage: critical\n\s+Digital Signature, Key Encipherment/);
    expect(text).toMatch(/X509v3 Extended Key Usage: \n\s+Code Signing/);
    expect(text).toMatch(/X509v3 Basic Constraints: critical\n\s+CA:FALSE/);
    expect(text).not.toContain('Subject Key Identifier');
  });
});

describe('certificate checks', () => {
  it('accepts Go’s root certificate, rejects expired and SHA-1', () => {
    const [c] = parseCertificates(goCertPem);
    validateCertificate(c!, new Date('2026-11-23T00:00:00Z'), true);
    expect(() => validateCertificate(c!, new Date('2037-01-01T00:00:00Z'), true)).toThrow(
      'certificate with CN example.com/fixtures/demo is expired',
    );
    const dir = tempDir();
    execFileSync(
      'openssl',
      [
        'req',
        '-x509',
        '-newkey',
        'rsa:2048',
        '-sha1',
        '-days',
        '10',
        '-nodes',
        '-subj',
        '/CN=old',
        '-keyout',
        join(dir, 'k.pem'),
        '-out',
        join(dir, 'c.pem'),
      ],
      { stdio: 'ignore' },
    );
    const [old] = parseCertificates(readFileSync(join(dir, 'c.pem'), 'utf8'));
    expect(() => validateCertificate(old!, new Date(), false)).toThrow(/SHA1/);
  });
});
