/**
 * Reading the verified targets tree the way Go's `tuf.Repo.WalkTargets` does (tuf.md §9):
 * breadth-first from `targets`, children in listed order, each child's paths restricted by its
 * parent's, a role's targets before its children. `list` keeps the first occurrence of a name,
 * `lookup` stops at the first match, `--roles` prefers the named roles (shadowing `targets`).
 */
import { compareUtf8 } from '../tuf/canonical.js';
import { canonicalKeyId } from '../tuf/keys.js';
import { pathAllowed } from '../tuf/roles.js';
import type { DelegationRole, TargetsSigned } from '../tuf/types.js';
import type { RepoState, TargetWithRole } from './state.js';
import { type DelegationRef, validDelegations } from './update.js';

interface WalkRole {
  name: string;
  /** effective paths */
  paths: readonly string[];
}

/** What a visitor returns: continue into the children, or stop the whole walk. */
type Visit = 'continue' | 'stop';

/** Go's isValidPath: an empty target path matches every role. */
function validPath(target: string, role: WalkRole): boolean {
  return target === '' || pathAllowed(role.paths, target);
}

/** Go's isAncestorRole: `role` is `ancestor` or below it ('' = everything). */
function isAncestorRole(role: string, ancestor: string): boolean {
  return ancestor === '' || role === ancestor || role.startsWith(`${ancestor}/`);
}

/**
 * Go's WalkTargets(targetPath, rolePath, visit, skipRoles): roles that were not loaded (not in
 * the snapshot, skipped, or outside the update's scope) are passed over with their subtrees.
 */
export function walkTargets(
  state: RepoState,
  targetPath: string,
  rolePath: string,
  visit: (meta: TargetsSigned, role: WalkRole) => Visit,
  skipRoles: readonly string[] = [],
): void {
  const queue: WalkRole[] = [{ name: 'targets', paths: [''] }];
  while (queue.length > 0) {
    const role = queue.shift() as WalkRole;
    const meta = state.targets.get(role.name);
    if (!meta) continue;
    const children = (): DelegationRef[] => validDelegations(meta.signed, role.name, role.paths);
    if (rolePath.startsWith(`${role.name}/`)) {
      queue.push(...children());
      continue;
    }
    if (
      validPath(targetPath, role) &&
      isAncestorRole(role.name, rolePath) &&
      !skipRoles.includes(role.name)
    ) {
      if (visit(meta.signed, role) === 'stop') return;
      queue.push(...children());
    }
  }
}

function targetOf(name: string, role: string, meta: TargetsSigned['targets'][string]): TargetWithRole {
  const t: TargetWithRole = { name, role, length: meta.length, hashes: meta.hashes };
  if (meta.custom !== undefined) t.custom = meta.custom;
  return t;
}

/** Roles to walk for `list`/`lookup`: the given ones, or `targets`. */
function rolesOrTargets(roles: readonly string[] | undefined): string[] {
  return roles && roles.length > 0 ? [...roles] : ['targets'];
}

/**
 * Go's ListTargets: for each requested role in order, walk its subtree (other requested roles
 * skipped) keeping the first role to list a name. Sorted by name (byte order), as the CLI prints.
 */
export function listTargets(state: RepoState, roles?: readonly string[]): TargetWithRole[] {
  const wanted = rolesOrTargets(roles);
  const found = new Map<string, TargetWithRole>();
  for (const role of wanted) {
    const skip = wanted.filter((r) => r !== role);
    walkTargets(
      state,
      '',
      role,
      (meta, validRole) => {
        // for-in over the prototype-less dict: no [name, meta] pair per target.
        const targets = meta.targets;
        for (const name in targets) {
          if (found.has(name) || !pathAllowed(validRole.paths, name)) continue;
          found.set(name, targetOf(name, validRole.name, targets[name]!));
        }
        return 'continue';
      },
      skip,
    );
  }
  // Byte order of the UTF-8 names (names are well-formed: the parser replaced lone surrogates).
  return [...found.values()].sort((a, b) => compareUtf8(a.name, b.name));
}

/** Go's GetTargetByName: the first role (breadth-first) whose valid paths include `name` and that lists it. */
export function lookupTarget(
  state: RepoState,
  name: string,
  roles?: readonly string[],
): TargetWithRole | undefined {
  const wanted = rolesOrTargets(roles);
  for (const role of wanted) {
    const skip = wanted.filter((r) => r !== role);
    let result: TargetWithRole | undefined;
    walkTargets(
      state,
      name,
      role,
      (meta, validRole) => {
        const fm = Object.hasOwn(meta.targets, name) ? meta.targets[name] : undefined;
        if (fm) {
          result = targetOf(name, validRole.name, fm);
          return 'stop';
        }
        return 'continue';
      },
      skip,
    );
    if (result) return result;
  }
  return undefined;
}

/** A delegation as `delegation list` shows it: key IDs translated to canonical IDs. */
export interface DelegationInfo {
  name: string;
  /** Paths as listed by the parent (not restricted), order kept. */
  paths: string[];
  /** Canonical key IDs, in the role's key ID order. */
  keyIds: string[];
  threshold: number;
}

function canonicalIds(parent: TargetsSigned, role: DelegationRole): string[] {
  return role.keyids.map((id) => {
    const k = parent.delegations.keys[id];
    if (!k) return id;
    try {
      return canonicalKeyId(k);
    } catch {
      return id;
    }
  });
}

/**
 * Go's GetDelegationRoles: every delegation listed by every role reached by the walk
 * (breadth-first), in walk order; the CLI sorts by name.
 */
export function delegationRoles(state: RepoState): DelegationInfo[] {
  const out: DelegationInfo[] = [];
  walkTargets(state, '', '', (meta) => {
    for (const d of meta.delegations.roles) {
      out.push({ name: d.name, paths: [...d.paths], keyIds: canonicalIds(meta, d), threshold: d.threshold });
    }
    return 'continue';
  });
  return out;
}
