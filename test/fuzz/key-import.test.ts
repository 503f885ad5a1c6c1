/**
 * `key import` reads PEM files from outside, and its `path`, `role` and `gun` headers decide
 * where key files are written. Hostile files must give written keys or a NotaryError, never a
 * file outside `<trust_dir>/private`, and the key store must still list what was written.
 */
import { mkdtempSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, relative } from 'node:path';
import fc from 'fast-check';
import { afterAll, describe, expect, it } from 'vitest';
import { pemDecodeAll, pemEncode } from '../../src/crypto/pem.js';
import { FileKeyStore } from '../../src/keystore/file-store.js';
import { fixture, mutated, parsesAsync, reportCounts, runs } from './harness.js';

reportCounts('key import');

const plainKeys = [
  fixture('go/keys/inputs/ed25519-input.pem'),
  fixture('go/keys/inputs/rsa-input.pem'),
  fixture('go/certs/delegation-ecdsa.key'),
];
const encryptedKeys = [fixture('go/keys/exported-all.pem'), fixture('go/keys/ecdsa-generate-o-key.pem')];
const blocks = [...plainKeys, ...encryptedKeys].flatMap((b) => pemDecodeAll(b.toString('latin1')));

const hostilePath = fc.oneof(
  fc.constantFrom(
    '../escape',
    '/etc/escape',
    'a/../../escape',
    'tuf_keys/../../escape',
    'tuf_keys/example.com/app/../../../escape',
    'tuf_keys//x',
    'a\\..\\escape',
    '.',
    '..',
    '',
    'x\u0000y',
    'root_keys/abc',
    'ok',
  ),
  fc.string({ maxLength: 20 }),
);

const headers = fc.record(
  {
    path: hostilePath,
    role: fc.oneof(
      fc.constantFrom('root', 'targets', 'snapshot', 'timestamp', 'targets/x', '', '../x'),
      fc.string({ maxLength: 10 }),
    ),
    gun: fc.oneof(
      fc.constantFrom('example.com/app', '', '../..', '/abs', 'a/../b'),
      fc.string({ maxLength: 10 }),
    ),
  },
  { requiredKeys: [] },
);

/** Every file under `dir`, relative to it. */
function walk(dir: string, base = dir): string[] {
  return readdirSync(dir, { withFileTypes: true }).flatMap((d) =>
    d.isDirectory() ? walk(join(dir, d.name), base) : [relative(base, join(dir, d.name))],
  );
}

describe('key import', () => {
  const root = mkdtempSync(join(tmpdir(), 'tsnotary-fuzz-import-'));
  afterAll(() => rmSync(root, { recursive: true, force: true }));
  let n = 0;

  it('hostile headers and mutated blocks: keys written inside private/ or a NotaryError', async () => {
    await fc.assert(
      fc.asyncProperty(
        fc.array(
          fc.oneof(
            fc
              .tuple(fc.constantFrom(...blocks), headers)
              .map(([b, h]) => pemEncode({ ...b, headers: { ...b.headers, ...h } })),
            mutated(plainKeys, 3).map((b) => b.toString('latin1')),
          ),
          { minLength: 1, maxLength: 3 },
        ),
        async (pems) => {
          const trustDir = join(root, String(n++));
          const store = new FileKeyStore(trustDir, async () => '');
          await parsesAsync('importBlocks', () => store.importBlocks(pems.join('')));
          // Nothing outside private/, and what was written lists as keys.
          for (const f of walk(trustDir)) expect(f.startsWith(`private/`)).toBe(true);
          await parsesAsync('FileKeyStore.list', () => new FileKeyStore(trustDir, async () => '').list());
          rmSync(trustDir, { recursive: true, force: true });
        },
      ),
      { numRuns: runs(80) },
    );
  });
});
