/**
 * The metadata of each role (root, targets, delegations, snapshot, timestamp) under hostile
 * input: parsing, re-serialisation, and signature checks over what parsed.
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { metadataBytes, parseMetadata } from '../../src/tuf/metadata.js';
import type { ParsedMetadata, RootSigned, TargetsSigned } from '../../src/tuf/types.js';
import { verifySignatures } from '../../src/tuf/verify.js';
import {
  anyBytes,
  fixture,
  jsonMutated,
  jsonTextTricks,
  mutated,
  parses,
  reportCounts,
  runs,
} from './harness.js';

reportCounts('metadata');

interface Seed {
  role: string;
  bytes: Buffer;
}

const seeds: Seed[] = [];
for (const repo of ['unicode', 'mixed-keytypes']) {
  for (const role of ['root', 'targets', 'snapshot', 'timestamp']) {
    seeds.push({ role, bytes: fixture('vectors/metadata', repo, `${role}.json`) });
  }
}
for (const d of ['plain', 'plainrsa', 'rsa']) {
  seeds.push({
    role: `targets/${d}`,
    bytes: fixture('vectors/metadata/mixed-keytypes/targets', `${d}.json`),
  });
}
for (const role of ['root', 'targets', 'snapshot', 'timestamp']) {
  seeds.push({ role, bytes: fixture('go/server', `${role}.json`) });
}
seeds.push({ role: 'targets/releases', bytes: fixture('go/server/targets/releases.json') });

const roles = [...new Set(seeds.map((s) => s.role))];

/** Keys that may sign each role of the seed repositories (from their roots and parents). */
const signingKeys = (() => {
  const out: Array<{ keys: RootSigned['keys']; role: string; keyids: string[]; threshold: number }> = [];
  for (const s of seeds) {
    if (s.role === 'root') {
      const root = parseMetadata<RootSigned>(s.bytes, 'root').signed;
      for (const [name, rk] of Object.entries(root.roles)) out.push({ keys: root.keys, role: name, ...rk });
    } else if (s.role === 'targets') {
      const t = parseMetadata<TargetsSigned>(s.bytes, 'targets').signed;
      for (const d of t.delegations.roles) out.push({ keys: t.delegations.keys, role: d.name, ...d });
    }
  }
  return out;
})();

/** Parse under the invariant; for what parses, re-serialisation must be a fixed point. */
function parseAndReserialise(bytes: Buffer, role: string): void {
  const parsed = parses(`parseMetadata(${role.startsWith('targets/') ? 'delegation' : role})`, () =>
    parseMetadata(bytes, role),
  );
  if (!parsed.ok) return;
  const again = parses('metadataBytes', () => metadataBytes(parsed.value));
  if (!again.ok) return;
  // What we would write parses back to the same typed view, and writes the same bytes again.
  const reparsed = parseMetadata(again.value, role);
  expect(reparsed.signed).toEqual(parsed.value.signed);
  expect(metadataBytes(reparsed).equals(again.value)).toBe(true);
  checkSignatures(parsed.value);
}

/** Signature checks over hostile metadata: a result, or a NotaryError (never a crash). */
function checkSignatures(meta: ParsedMetadata): void {
  for (const k of signingKeys) {
    if (k.role !== meta.role) continue;
    parses('verifySignatures', () =>
      verifySignatures(meta, k.keys, { keyids: k.keyids, threshold: k.threshold }),
    );
  }
  // The metadata's own keys against its own signatures (root, and delegations' keys).
  if (meta.signed._type === 'Root') {
    const root = meta.signed;
    for (const rk of Object.values(root.roles))
      parses('verifySignatures', () => verifySignatures(meta, root.keys, rk));
  }
}

const seedArb = fc.constantFrom(...seeds);

describe('metadata of every role', () => {
  it('unmodified Go files parse and re-serialise byte for byte', () => {
    for (const s of seeds) {
      const parsed = parseMetadata(s.bytes, s.role);
      expect(metadataBytes(parsed).equals(s.bytes)).toBe(true);
      parseAndReserialise(s.bytes, s.role);
    }
  });

  it('any bytes, for any role: a value or a NotaryError', () => {
    fc.assert(
      fc.property(anyBytes(), fc.constantFrom(...roles), (b, role) => {
        parseAndReserialise(b, role);
      }),
      { numRuns: runs(200) },
    );
  });

  it('byte-level mutations of real files (flips, truncation, insertion, repetition)', () => {
    fc.assert(
      fc.property(
        seedArb.chain((s) => mutated([s.bytes]).map((b) => ({ role: s.role, b }))),
        ({ role, b }) => {
          parseAndReserialise(b, role);
        },
      ),
      { numRuns: runs(500) },
    );
  });

  it('structural mutations: wrong field types, huge numbers, deep nesting, odd keys', () => {
    fc.assert(
      fc.property(
        seedArb.chain((s) => jsonMutated([s.bytes]).map((b) => ({ role: s.role, b }))),
        ({ role, b }) => {
          parseAndReserialise(b, role);
        },
      ),
      { numRuns: runs(300) },
    );
  });

  it('text tricks: duplicate and case-folded fields, invalid UTF-8, surrogates, big numbers', () => {
    fc.assert(
      fc.property(
        seedArb.chain((s) => jsonTextTricks([s.bytes]).map((b) => ({ role: s.role, b }))),
        ({ role, b }) => {
          parseAndReserialise(b, role);
        },
      ),
      { numRuns: runs(150) },
    );
  });

  it('a file of one role read as another role', () => {
    fc.assert(
      fc.property(seedArb, fc.constantFrom(...roles, 'targets/a/b', 'targets/*'), (s, role) => {
        parseAndReserialise(s.bytes, role);
      }),
      { numRuns: runs(60) },
    );
  });
});
