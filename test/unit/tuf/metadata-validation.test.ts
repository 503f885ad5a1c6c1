import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { isNotaryError } from '../../../src/errors.js';
import { canonicalString } from '../../../src/tuf/canonical.js';
import { metadataBytes, parseMetadata, signedToValue } from '../../../src/tuf/metadata.js';
import type { TargetsSigned } from '../../../src/tuf/types.js';

const dir = join(import.meta.dirname, '../../../fixtures/go/server');
// biome-ignore lint/suspicious/noExplicitAny: tests mutate parsed fixture JSON freely
type Json = Record<string, any>;
const load = (name: string): Json => JSON.parse(readFileSync(join(dir, name), 'utf8'));

function mutate(file: string, role: string, edit: (signed: Json, env: Json) => void) {
  const env = load(file);
  edit(env['signed'], env);
  return () => parseMetadata(Buffer.from(JSON.stringify(env)), role);
}

function expectInvalid(fn: () => unknown, message: string | RegExp, field?: string) {
  let err: unknown;
  try {
    fn();
  } catch (e) {
    err = e;
  }
  expect(isNotaryError(err, 'METADATA_INVALID')).toBe(true);
  if (typeof message === 'string') expect((err as Error).message).toBe(message);
  else expect((err as Error).message).toMatch(message);
  if (field) expect((err as { details: Json }).details['field']).toBe(field);
}

describe('root validation (Go isValidRootStructure texts)', () => {
  it('rejects structural problems naming role and field', () => {
    expectInvalid(
      mutate('root.json', 'root', (s) => delete s.roles.timestamp),
      'root type metadata invalid: missing timestamp role specification',
      'roles.timestamp',
    );
    expectInvalid(
      mutate('root.json', 'root', (s) => (s.roles.targets.threshold = 0)),
      'root type metadata invalid: invalid threshold specified for targets: 0 ',
    );
    expectInvalid(
      mutate('root.json', 'root', (s) => s.roles.snapshot.keyids.push('abc')),
      'root type metadata invalid: key ID abc specified in snapshot without corresponding key',
    );
    expectInvalid(
      mutate('root.json', 'root', (s) => (s._type = 'Targets')),
      'root type metadata invalid: expected type Root, not Targets',
    );
    expectInvalid(
      mutate('root.json', 'root', (s) => (s.version = 0)),
      'root type metadata invalid: version cannot be less than 1',
    );
    expectInvalid(
      mutate('root.json', 'root', (s) => (s.version = '1')),
      'root type metadata invalid: field version: expected an integer, got "1"',
      'version',
    );
    expectInvalid(
      mutate('root.json', 'root', (s) => (s.expires = 'tomorrow')),
      'root type metadata invalid: field expires: parsing time "tomorrow": not an RFC3339 time (e.g. 2029-11-21T01:56:47.02296352Z)',
      'expires',
    );
    expectInvalid(
      mutate('root.json', 'root', (s) => {
        const id = Object.keys(s.keys)[0]!;
        s.keys[id].keytype = 'dsa';
      }),
      /^root type metadata invalid: keys\["[0-9a-f]{64}"\]\.keytype: unsupported key type "dsa"$/,
    );
  });

  it('rejects non-JSON and a missing payload', () => {
    expectInvalid(
      () => parseMetadata(Buffer.from('{"signed":'), 'root'),
      /^root type metadata invalid: invalid JSON: /,
    );
    expectInvalid(
      () => parseMetadata(Buffer.from('{"signatures":[]}'), 'root'),
      'root type metadata invalid: root file contained an empty payload',
    );
  });
});

describe('targets validation', () => {
  it('delegations must be valid direct children with known keys', () => {
    expectInvalid(
      mutate('targets.json', 'targets', (s) => (s.delegations.roles[0].name = 'targets/releases/deep')),
      'targets type metadata invalid: delegation role targets/releases/deep invalid',
    );
    expectInvalid(
      mutate('targets.json', 'targets', (s) => (s.delegations.roles[0].name = 'targets/Releases')),
      'targets type metadata invalid: delegation role targets/Releases invalid',
    );
    expectInvalid(
      mutate('targets.json', 'targets', (s) => (s.delegations.roles[0].keyids = ['nope'])),
      'targets type metadata invalid: key ID nope specified in targets/releases without corresponding key',
    );
    expectInvalid(
      mutate('targets/releases.json', 'targets/releases', (s) => (s._type = 'Root')),
      'targets/releases type metadata invalid: expected type Targets, not Root',
    );
    expectInvalid(
      mutate('targets.json', 'targets', (s) => (s.targets.hello.length = 'six')),
      'targets type metadata invalid: field targets["hello"].length: expected an integer, got "six"',
    );
    expect(mutate('targets.json', 'targets/x/y', () => {})).toThrow('targets/x/y type metadata invalid');
  });

  it('a grandchild declared in targets/releases is fine there', () => {
    const fn = mutate('targets/releases.json', 'targets/releases', (s) => {
      s.delegations.roles.push({ name: 'targets/releases/beta', keyids: [], threshold: 1 });
    });
    const meta = fn() as { signed: TargetsSigned };
    expect(meta.signed.delegations.roles[0]!.paths).toEqual([]);
  });
});

describe('snapshot and timestamp validation', () => {
  it('requires sha256 for root/targets (snapshot) and snapshot (timestamp)', () => {
    expectInvalid(
      mutate('snapshot.json', 'snapshot', (s) => delete s.meta.targets.hashes.sha256),
      'snapshot type metadata invalid: missing targets sha256 checksum information',
    );
    expectInvalid(
      mutate('snapshot.json', 'snapshot', (s) => (s.meta.root.hashes.sha512 = 'AAAA')),
      'snapshot type metadata invalid: invalid root checksum information, sha512 checksum invalid',
    );
    expectInvalid(
      mutate('timestamp.json', 'timestamp', (s) => delete s.meta.snapshot),
      'timestamp type metadata invalid: missing snapshot sha256 checksum information',
    );
    expectInvalid(
      mutate('timestamp.json', 'timestamp', (s) => (s._type = 'Snapshot')),
      'timestamp type metadata invalid: expected type Timestamp, not Snapshot',
    );
  });
});

describe("Go's decoding quirks", () => {
  it('matches field names case-insensitively, lower-cases methods, drops unknown fields', () => {
    const env = load('targets.json');
    const s = env['signed'];
    s.Version = s.version;
    delete s.version;
    s.extra = { ignored: true };
    env['signatures'][0].method = 'ECDSA';
    const bytes = Buffer.from(JSON.stringify(env));
    const meta = parseMetadata<TargetsSigned>(bytes, 'targets');
    expect(meta.signed.version).toBe(3);
    expect(meta.signatures[0]!.method).toBe('ecdsa');
    // C covers what was received (incl. the unknown field); Go's re-serialisation drops it.
    expect(meta.canonical.toString()).toContain('"extra":{"ignored":true}');
    expect(metadataBytes(meta).equals(readFileSync(join(dir, 'targets.json')))).toBe(true);
  });

  it('keeps the received expiry text in C but re-serialises it the Go way', () => {
    const env = load('targets/releases.json');
    env['signed'].expires = '2029-11-21T02:00:04.841341800Z';
    const meta = parseMetadata(Buffer.from(JSON.stringify(env)), 'targets/releases');
    expect(meta.canonical.toString()).toContain('"expires":"2029-11-21T02:00:04.841341800Z"');
    expect(meta.signed.expires).toBe('2029-11-21T02:00:04.8413418Z');
    expect(canonicalString(signedToValue(meta.signed))).toContain('"expires":"2029-11-21T02:00:04.8413418Z"');
  });

  it('a fraction anywhere in signed makes the metadata unverifiable', () => {
    expectInvalid(
      mutate('targets.json', 'targets', (s) => (s.targets['bin/app.bin'].custom = { ratio: 0.5 })),
      'targets type metadata invalid: json: unsupported value: 0.5',
    );
  });

  it('custom null is omitted; empty paths are omitted; delegations always present', () => {
    const meta = mutate('targets/releases.json', 'targets/releases', (s) => {
      s.targets['releases/v1.0.txt'].custom = null;
      delete s.delegations;
    })() as { signed: TargetsSigned };
    const c = canonicalString(signedToValue(meta.signed));
    expect(c).not.toContain('custom');
    expect(c).toContain('"delegations":{"keys":{},"roles":[]}');
  });
});
