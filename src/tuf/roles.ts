/**
 * Role names and delegation path rules of Go notary 0.7 (spec tuf.md §9).
 */
import { NotaryError } from '../errors.js';
import type { BaseRole, RoleName } from './types.js';

export const BASE_ROLES: readonly BaseRole[] = ['root', 'targets', 'snapshot', 'timestamp'];

export function isBaseRole(name: string): name is BaseRole {
  return (BASE_ROLES as readonly string[]).includes(name);
}

const DELEGATION_CHARS = /^[-a-z0-9_/]+$/;

/**
 * Go's data.IsDelegation: `targets/` prefix, lower-case `[-a-z0-9_/]` only, shorter than 256
 * bytes, and equal to its own path.Clean (with this alphabet: no `//`, no trailing `/`).
 */
export function isDelegationRole(name: string): boolean {
  return (
    name.startsWith('targets/') &&
    DELEGATION_CHARS.test(name) &&
    Buffer.byteLength(name, 'utf8') < 256 &&
    !name.includes('//') &&
    !name.endsWith('/')
  );
}

/** `targets` or a delegation: roles whose metadata is of type Targets. */
export function isTargetsRole(name: string): boolean {
  return name === 'targets' || isDelegationRole(name);
}

/** Go's ErrInvalidRole: `tuf: invalid role <r>. <reason>`. */
export function invalidRoleError(role: RoleName, reason: string, hint?: string): NotaryError {
  return new NotaryError(
    'INVALID_ROLE',
    reason ? `tuf: invalid role ${role}. ${reason}` : `tuf: invalid role ${role}.`,
    {
      details: { role },
      hint,
    },
  );
}

/** Throws INVALID_ROLE `tuf: invalid role <r>. invalid delegation role name` for a bad name. */
export function validateDelegationName(name: string): void {
  if (!isDelegationRole(name)) {
    throw invalidRoleError(
      name,
      'invalid delegation role name',
      'Delegation names start with "targets/" and use only a-z, 0-9, "-", "_" and "/" (no "//" or trailing "/"), under 256 bytes.',
    );
  }
}

/** Go's path.Dir of a role name: `targets/a/b` → `targets/a`, `targets` → `.`. */
export function parentRole(name: RoleName): RoleName {
  const i = name.lastIndexOf('/');
  return i < 0 ? '.' : name.slice(0, i);
}

/** True if `child` is declared directly in `parent`'s metadata (Go's IsParentOf). */
export function isDirectChild(parent: RoleName, child: RoleName): boolean {
  return parentRole(child) === parent;
}

/** Paths are prefix strings (not globs): a target is allowed if it starts with any of them. */
export function pathAllowed(paths: readonly string[], target: string): boolean {
  return paths.some((p) => target.startsWith(p));
}

/**
 * Go's RestrictDelegationPathPrefixes: the child's paths that start with one of the parent's
 * (effective) paths; others are dropped. The base `targets` role has the effective paths `[""]`.
 */
export function restrictPaths(parentPaths: readonly string[], childPaths: readonly string[]): string[] {
  return childPaths.filter((p) => parentPaths.some((pp) => p.startsWith(pp)));
}

/** Effective paths of the top-level targets role: everything. */
export const ALL_PATHS: readonly string[] = [''];

/**
 * The roles a staged target change goes to: `targets` unless roles are given, each a targets
 * role (Go also stages wildcards and other roles, which then fail every publish).
 */
export function stagingRoles(roles: readonly string[] | undefined): string[] {
  if (!roles || roles.length === 0) return ['targets'];
  for (const role of roles) {
    if (!isTargetsRole(role)) {
      throw invalidRoleError(
        role,
        'cannot add targets to this role',
        'Use "targets" or a delegation role such as "targets/releases".',
      );
    }
  }
  return [...roles];
}

/** Only targets-type roles can be witnessed (Go stages any name; others fail every publish). */
export function checkWitnessRoles(roles: readonly string[]): void {
  for (const role of roles) {
    if (!isTargetsRole(role)) {
      throw invalidRoleError(
        role,
        'this role is not known',
        'Only "targets" and delegation roles (targets/...) can be witnessed.',
      );
    }
  }
}
