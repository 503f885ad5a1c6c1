import { execFileSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { canonicalIdOf } from '../../../src/crypto/keygen.js';
import { pemDecodeAll, pemDecodeFirst, pemEncode } from '../../../src/crypto/pem.js';
import { isEncryptedBlock, parsePrivateKeyPem } from '../../../src/crypto/private-key.js';
import { isNotaryError } from '../../../src/errors.js';
import { fixturesDir, tempDir } from '../../helpers/cli.js';

describe('Go encoding/pem semantics', () => {
  it('reads several blocks with garbage around, headers, CRLF', () => {
    const text =
      'junk\n-----BEGIN A-----\nk: v\nProc-Type: 4,ENCRYPTED\n\nAAEC\n-----END A-----\nmore junk\r\n' +
      '-----BEGIN B-----\r\nAwQF\r\n-----END B-----\r\n';
    const blocks = pemDecodeAll(text);
    expect(blocks.map((b) => b.type)).toEqual(['A', 'B']);
    expect(blocks[0]!.headers).toEqual({ k: 'v', 'Proc-Type': '4,ENCRYPTED' });
    expect(blocks[0]!.bytes.toString('hex')).toBe('000102');
    expect(blocks[1]!.bytes.toString('hex')).toBe('030405');
  });

  it('skips malformed blocks (bad base64, mismatched END) like Go', () => {
    const bad = '-----BEGIN A-----\n!!!!\n-----END A-----\n-----BEGIN B-----\nAAEC\n-----END C-----\n';
    expect(pemDecodeAll(bad)).toEqual([]);
    expect(pemDecodeFirst('no pem here').block).toBeUndefined();
  });

  it('encodes headers Proc-Type first then sorted, 64-column body, no blank line without headers', () => {
    const out = pemEncode({
      type: 'X',
      headers: { role: 'r', gun: 'g', 'DEK-Info': 'd', path: 'p', 'Proc-Type': '4,ENCRYPTED' },
      bytes: Buffer.alloc(60),
    });
    expect(out).toBe(
      '-----BEGIN X-----\nProc-Type: 4,ENCRYPTED\nDEK-Info: d\ngun: g\npath: p\nrole: r\n\n' +
        `${'A'.repeat(64)}\n${'A'.repeat(16)}\n-----END X-----\n`,
    );
    expect(pemEncode({ type: 'Y', headers: {}, bytes: Buffer.from([1]) })).toBe(
      '-----BEGIN Y-----\nAQ==\n-----END Y-----\n',
    );
  });
});

describe('legacy OpenSSL PEM encryption', () => {
  const dir = tempDir();
  const plain = join(dir, 'ec.pem');
  execFileSync('openssl', [
    'genpkey',
    '-algorithm',
    'EC',
    '-pkeyopt',
    'ec_paramgen_curve:P-256',
    '-out',
    plain,
  ]);
  const rsaPlain = join(dir, 'rsa.pem');
  execFileSync('openssl', ['genrsa', '-traditional', '-out', rsaPlain, '2048'], { stdio: 'ignore' });
  const ref = (f: string) =>
    canonicalIdOf(parsePrivateKeyPem(pemDecodeFirst(readFileSync(f, 'utf8')).block!));

  for (const cipher of ['des3', 'aes128', 'aes192', 'aes256']) {
    it(`EC and RSA keys with -${cipher}`, () => {
      for (const [tool, src] of [
        ['ec', plain],
        ['rsa', rsaPlain],
      ] as const) {
        const out = join(dir, `${tool}-${cipher}.pem`);
        execFileSync(
          'openssl',
          [
            tool,
            '-in',
            src,
            `-${cipher}`,
            '-passout',
            'pass:legacy-pass',
            ...(tool === 'rsa' ? ['-traditional'] : []),
            '-out',
            out,
          ],
          {
            stdio: 'ignore',
          },
        );
        const block = pemDecodeFirst(readFileSync(out, 'utf8')).block!;
        expect(isEncryptedBlock(block)).toBe(true);
        expect(canonicalIdOf(parsePrivateKeyPem(block, 'legacy-pass'))).toBe(ref(src));
        let err: unknown;
        try {
          parsePrivateKeyPem(block, 'wrong-pass');
        } catch (e) {
          err = e;
        }
        expect(isNotaryError(err, 'PASSPHRASE')).toBe(true);
      }
    });
  }

  it('DES-CBC (single DES, made with OpenSSL legacy provider)', () => {
    const out = join(dir, 'rsa-des.pem');
    execFileSync(
      'openssl',
      [
        'rsa',
        '-provider',
        'legacy',
        '-provider',
        'default',
        '-in',
        rsaPlain,
        '-des',
        '-passout',
        'pass:legacy-pass',
        '-traditional',
        '-out',
        out,
      ],
      { stdio: 'ignore' },
    );
    const block = pemDecodeFirst(readFileSync(out, 'utf8')).block!;
    expect(block.headers['DEK-Info']).toMatch(/^DES-CBC,/);
    expect(canonicalIdOf(parsePrivateKeyPem(block, 'legacy-pass'))).toBe(ref(rsaPlain));
  });

  it('ED25519 PRIVATE KEY (96 raw bytes) input of the fixtures', () => {
    const block = pemDecodeFirst(
      readFileSync(join(fixturesDir, 'go', 'keys', 'inputs', 'ed25519-input.pem'), 'utf8'),
    ).block!;
    expect(canonicalIdOf(parsePrivateKeyPem(block))).toBe(
      'd88fba2a56c33d2e160f9d2a1674131a19d9d43fe09390d3926c349a581d792e',
    );
  });
});
