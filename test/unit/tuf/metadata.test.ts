import { readdirSync, readFileSync, statSync } from 'node:fs';
import { join, relative } from 'node:path';
import { describe, expect, it } from 'vitest';
import { isNotaryError } from '../../../src/errors.js';
import { canonicalString } from '../../../src/tuf/canonical.js';
import { checkFileMeta, fileMeta } from '../../../src/tuf/hashes.js';
import { envelopeBytes, metadataBytes, parseMetadata, signedToValue } from '../../../src/tuf/metadata.js';
import { checkNotExpired, isExpired } from '../../../src/tuf/time.js';
import type {
  ParsedMetadata,
  RootSigned,
  SnapshotSigned,
  TargetsSigned,
  TimestampSigned,
} from '../../../src/tuf/types.js';
import { requireThreshold, verifySignature } from '../../../src/tuf/verify.js';

const fixtures = join(import.meta.dirname, '../../../fixtures');

function metadataFiles(dir: string): { role: string; path: string }[] {
  const out: { role: string; path: string }[] = [];
  const walk = (d: string) => {
    for (const name of readdirSync(d)) {
      const p = join(d, name);
      if (statSync(p).isDirectory()) walk(p);
      else if (name.endsWith('.json') && name !== 'manifest.json' && name !== 'timestamp.key.json') {
        const rel = relative(dir, p).replace(/\.json$/, '');
        out.push({ role: rel.replace(/^\d+\./, ''), path: p });
      }
    }
  };
  walk(dir);
  return out;
}

const dirs = [
  join(fixtures, 'go/server'),
  join(fixtures, 'go/trustdir/tuf/example.com/fixtures/demo/metadata'),
  join(fixtures, 'vectors/metadata/unicode'),
  join(fixtures, 'vectors/metadata/mixed-keytypes'),
];

/** Parse every role of a repo directory and check thresholds along the trust chain. */
function loadRepo(dir: string) {
  const files = metadataFiles(dir).filter((f) => !/\d+\.root/.test(relative(dir, f.path)));
  const parsed = new Map<string, ParsedMetadata>();
  for (const f of files) parsed.set(f.role, parseMetadata(readFileSync(f.path), f.role));
  return parsed;
}

function verifyRepo(parsed: Map<string, ParsedMetadata>): number {
  const root = parsed.get('root') as ParsedMetadata<RootSigned>;
  let checked = 0;
  for (const base of ['root', 'targets', 'snapshot', 'timestamp']) {
    const meta = parsed.get(base)!;
    const r = requireThreshold(meta, root.signed.keys, root.signed.roles[base]!);
    expect(r.validKeyIds.length).toBeGreaterThanOrEqual(1);
    checked++;
  }
  for (const [role, meta] of parsed) {
    if (!role.startsWith('targets/')) continue;
    const parentRole = role.slice(0, role.lastIndexOf('/'));
    const parent = parsed.get(parentRole) as ParsedMetadata<TargetsSigned>;
    const d = parent.signed.delegations.roles.find((x) => x.name === role)!;
    requireThreshold(meta, parent.signed.delegations.keys, d);
    checked++;
  }
  return checked;
}

describe('round trip: typed re-serialisation reproduces the Go file bytes', () => {
  for (const dir of dirs) {
    for (const f of metadataFiles(dir)) {
      it(`${relative(fixtures, f.path)}`, () => {
        const bytes = readFileSync(f.path);
        const meta = parseMetadata(bytes, f.role);
        expect(meta.raw.equals(bytes)).toBe(true);
        // typed → Go value tree → C' equals C (signatures stay valid) and F' equals F.
        expect(canonicalString(signedToValue(meta.signed))).toBe(meta.canonical.toString('utf8'));
        expect(metadataBytes(meta).equals(bytes)).toBe(true);
        expect(envelopeBytes(meta.canonical, meta.signatures).equals(bytes)).toBe(true);
      });
    }
  }
});

describe('metadata vectors: C and every signature', () => {
  for (const sub of ['unicode', 'mixed-keytypes']) {
    const dir = join(fixtures, 'vectors/metadata', sub);
    const manifest = JSON.parse(readFileSync(join(dir, 'manifest.json'), 'utf8')) as {
      file: string;
      length: number;
      sha256_base64: string;
      sha512_base64: string;
      signatures: { keyid: string; method: string; keytype: string }[];
    }[];
    it(`${sub}: canonical bytes, hashes and all ${manifest.reduce((n, m) => n + m.signatures.length, 0)} signatures`, () => {
      const parsed = loadRepo(dir);
      const root = parsed.get('root') as ParsedMetadata<RootSigned>;
      let verified = 0;
      for (const m of manifest) {
        const role = m.file.replace(/\.json$/, '');
        const meta = parsed.get(role)!;
        const expectedC = readFileSync(join(dir, m.file.replace(/\.json$/, '.signed.canonical')));
        expect(meta.canonical.equals(expectedC)).toBe(true);
        const fm = fileMeta(meta.raw);
        expect(fm.length).toBe(m.length);
        expect(fm.hashes['sha256']!.toString('base64')).toBe(m.sha256_base64);
        expect(fm.hashes['sha512']!.toString('base64')).toBe(m.sha512_base64);
        const keys = role.startsWith('targets/')
          ? (parsed.get(role.slice(0, role.lastIndexOf('/'))) as ParsedMetadata<TargetsSigned>).signed
              .delegations.keys
          : root.signed.keys;
        for (const s of m.signatures) {
          const sig = meta.signatures.find((x) => x.keyid === s.keyid)!;
          expect(sig.method).toBe(s.method);
          expect(keys[s.keyid]!.keytype).toBe(s.keytype);
          expect(verifySignature(keys[s.keyid]!, sig, meta.canonical)).toBe(true);
          verified++;
        }
      }
      expect(verified).toBe(manifest.reduce((n, m) => n + m.signatures.length, 0));
      expect(verifyRepo(parsed)).toBe(parsed.size);
    });
  }
});

describe('demo trust dir (clock pinned to 2026-11-23)', () => {
  const now = new Date('2026-11-23T00:00:00Z');
  const dir = join(fixtures, 'go/trustdir/tuf/example.com/fixtures/demo/metadata');

  it('parses, meets every threshold, is unexpired and hash-consistent', () => {
    const parsed = loadRepo(dir);
    expect([...parsed.keys()].sort()).toEqual([
      'root',
      'snapshot',
      'targets',
      'targets/releases',
      'timestamp',
    ]);
    expect(verifyRepo(parsed)).toBe(5);
    for (const [role, meta] of parsed) checkNotExpired(role, meta.signed.expires, now);
    const ts = parsed.get('timestamp') as ParsedMetadata<TimestampSigned>;
    const snap = parsed.get('snapshot') as ParsedMetadata<SnapshotSigned>;
    checkFileMeta(snap.raw, ts.signed.meta['snapshot']!, 'snapshot');
    for (const role of ['root', 'targets', 'targets/releases']) {
      checkFileMeta(parsed.get(role)!.raw, snap.signed.meta[role]!, role);
    }
    const root = parsed.get('root') as ParsedMetadata<RootSigned>;
    expect(root.signed.version).toBe(1);
    expect(parsed.get('targets')!.signed.version).toBe(3);
    expect(snap.signed.version).toBe(4);
    expect(ts.signed.version).toBe(3);
    const targets = parsed.get('targets') as ParsedMetadata<TargetsSigned>;
    expect(targets.signed.targets['bin/app.bin']!.custom).toEqual({ build: 42, channel: 'stable' });
    expect(targets.signed.delegations.roles[0]).toEqual({
      name: 'targets/releases',
      keyids: ['d74f0b1448294df988d37a61df3f5e00ca3bcf5aefa22ecac7913e7e5821616b'],
      threshold: 1,
      paths: ['releases/'],
    });
  });

  it("the timestamp is expired after 2026-12-06 with Go's text", () => {
    const ts = parseMetadata(readFileSync(join(dir, 'timestamp.json')), 'timestamp');
    expect(isExpired(ts.signed.expires, new Date('2026-12-07T00:00:00Z'))).toBe(true);
    expect(() => checkNotExpired('timestamp', ts.signed.expires, new Date('2026-12-07T00:00:00Z'))).toThrow(
      'timestamp expired at Sun Dec 6 02:00:04 UTC 2026',
    );
  });

  it('a signature by the wrong key does not count: timestamp against the snapshot role', () => {
    const parsed = loadRepo(dir);
    const root = parsed.get('root') as ParsedMetadata<RootSigned>;
    let err: unknown;
    try {
      requireThreshold(parsed.get('timestamp')!, root.signed.keys, root.signed.roles['snapshot']!);
    } catch (e) {
      err = e;
    }
    expect(isNotaryError(err, 'THRESHOLD')).toBe(true);
    expect((err as Error).message).toBe('valid signatures did not meet threshold for timestamp');
    expect((err as { hint: string }).hint).toContain(root.signed.roles['snapshot']!.keyids[0]);
  });

  it('a modified file fails its threshold (C is recomputed from the bytes)', () => {
    const parsed = loadRepo(dir);
    const root = parsed.get('root') as ParsedMetadata<RootSigned>;
    const bytes = readFileSync(join(dir, 'targets.json'), 'utf8').replace('"length":6', '"length":7');
    const meta = parseMetadata(Buffer.from(bytes), 'targets');
    expect(() => requireThreshold(meta, root.signed.keys, root.signed.roles['targets']!)).toThrow(
      'valid signatures did not meet threshold for targets',
    );
    const snap = parsed.get('snapshot') as ParsedMetadata<SnapshotSigned>;
    expect(() => checkFileMeta(meta.raw, snap.signed.meta['targets']!, 'targets')).toThrow(
      /^sha256 checksum for targets did not match: expected 5701604a/,
    );
  });
});
