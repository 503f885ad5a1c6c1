/**
 * The scoped update walks (`lookup`: scope `target`; `list --roles`: scope `roles`) against the
 * full walk on one tricky delegation tree: overlapping paths, nested path restrictions, a badly
 * signed role with a child, an expired role, a role that does not exist, duplicate names across
 * siblings. Every answer of the scoped walk must be the full walk's.
 */
import { describe, expect, it } from 'vitest';
import type { TargetWithRole } from '../../../src/repo/state.js';
import { NO_PINNING } from '../../../src/repo/trust-pinning.js';
import { updateRepo } from '../../../src/repo/update.js';
import { listTargets, lookupTarget } from '../../../src/repo/walk.js';
import {
  buildRepo,
  type DelegationSpec,
  ecdsaKey,
  FileRemote,
  MemoryCache,
  PINNED_NOW,
  type RepoSpec,
  recordingLogger,
  repoKeys,
} from './update-harness.js';

const GUN = 'example.com/scoped';
const data = (s: string) => Buffer.from(s);
const shown = (t: TargetWithRole | undefined) =>
  t ? [t.name, t.role, t.hashes['sha256']?.toString('hex')] : undefined;

async function tree() {
  const keys = await repoKeys(GUN);
  const dels: DelegationSpec[] = [
    { name: 'targets/a', paths: [''], key: ecdsaKey(), targets: { shared: data('a'), 'a/1': data('a1') } },
    // Restricted below its parent: b/out is outside a/ and never listed.
    {
      name: 'targets/a/x',
      paths: ['a/'],
      key: ecdsaKey(),
      targets: { 'a/x1': data('ax1'), shared: data('ax'), 'b/out': data('out'), 'a/1': data('ax-a1') },
    },
    // Signed by another key: skipped with its child.
    {
      name: 'targets/bad',
      paths: [''],
      key: ecdsaKey(),
      signers: [ecdsaKey()],
      targets: { shared: data('bad'), bad1: data('b') },
    },
    {
      name: 'targets/bad/child',
      paths: [''],
      key: ecdsaKey(),
      targets: { bc: data('bc'), only: data('bc') },
    },
    // Expired: skipped.
    {
      name: 'targets/old',
      paths: [''],
      key: ecdsaKey(),
      expires: new Date('2026-11-01T00:00:00Z'),
      targets: { shared: data('old'), o: data('o') },
    },
    {
      name: 'targets/p',
      paths: ['p/', 'q'],
      key: ecdsaKey(),
      targets: { 'p/1': data('p1'), shared: data('p'), q9: data('q9') },
    },
    // Paths overlap the parent's only in part: q/ survives (within q), r/ does not.
    {
      name: 'targets/p/deep',
      paths: ['p/d', 'q/', 'r/'],
      key: ecdsaKey(),
      targets: { 'p/d1': data('pd1'), 'q/1': data('q1'), 'r/1': data('r1'), 'p/1': data('deep-p1') },
    },
    { name: 'targets/s1', paths: ['s'], key: ecdsaKey(), targets: { s: data('s1'), sx: data('s1') } },
    { name: 'targets/s2', paths: ['s'], key: ecdsaKey(), targets: { s: data('s2'), s2: data('s2') } },
  ];
  const spec: RepoSpec = {
    gun: GUN,
    ...keys,
    targets: { top: data('top'), shared: data('top') },
    delegations: dels,
  };
  const files = await buildRepo(spec);
  const opts = () => ({
    gun: GUN,
    remote: new FileRemote(GUN, files),
    cache: new MemoryCache(),
    clock: () => PINNED_NOW,
    log: recordingLogger(),
    pinning: NO_PINNING,
  });
  return { opts, full: await updateRepo(opts()) };
}

describe('scoped walks give the full walk’s answers', () => {
  it('list --roles: every role set lists what the full walk lists for it', async () => {
    const { opts, full } = await tree();
    expect(full.skipped.map((s) => s.role).sort()).toEqual(['targets/bad', 'targets/old']);
    const sets = [
      ['targets/a'],
      ['targets/a/x'],
      ['targets/a/x', 'targets'],
      ['targets', 'targets/a/x'],
      ['targets/bad'],
      ['targets/bad/child'],
      ['targets/old'],
      ['targets/p/deep'],
      ['targets/p', 'targets/a'],
      ['targets/s2', 'targets/s1'],
      ['targets/missing'],
    ];
    for (const roles of sets) {
      const scoped = await updateRepo({ ...opts(), scope: { kind: 'roles', roles } });
      expect(listTargets(scoped, roles).map(shown), roles.join(',')).toEqual(
        listTargets(full, roles).map(shown),
      );
      // Every role the scoped walk skipped, the full walk skipped for the same reason.
      for (const s of scoped.skipped) expect(full.skipped).toContainEqual(s);
    }
  });

  it('lookup: every name (and every name per role set) resolves as in the full walk', async () => {
    const { opts, full } = await tree();
    // The tree exercises what it claims: shadowing, restrictions, skipped subtrees, sibling order.
    expect(shown(lookupTarget(full, 'shared'))?.[1]).toBe('targets');
    expect(shown(lookupTarget(full, 'a/1'))?.[1]).toBe('targets/a');
    expect(lookupTarget(full, 'b/out')).toBeUndefined();
    expect(lookupTarget(full, 'bc')).toBeUndefined();
    expect(lookupTarget(full, 'r/1')).toBeUndefined();
    expect(shown(lookupTarget(full, 'q/1'))?.[1]).toBe('targets/p/deep');
    expect(shown(lookupTarget(full, 'sx'))?.[1]).toBe('targets/s1');
    expect(shown(lookupTarget(full, 's'))?.[2]).toBe(shown(lookupTarget(full, 'sx'))?.[2]);
    const names = [
      'top',
      'shared',
      'a/1',
      'a/x1',
      'b/out',
      'bad1',
      'bc',
      'only',
      'o',
      'p/1',
      'p/d1',
      'q9',
      'q/1',
      'r/1',
      's',
      's2',
      'sx',
      'none',
      '',
    ];
    for (const name of names) {
      for (const concurrency of [1, 2, 8]) {
        const scoped = await updateRepo({ ...opts(), concurrency, scope: { kind: 'target', name } });
        expect(shown(lookupTarget(scoped, name)), `${name} @${concurrency}`).toEqual(
          shown(lookupTarget(full, name)),
        );
      }
    }
  });
});
