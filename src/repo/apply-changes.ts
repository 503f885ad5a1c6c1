/**
 * Replays staged changes (Go changelist format, spec on-disk.md §7) onto an in-memory working
 * copy of a repository, with Go notary 0.7's semantics and error texts (tuf.md §9, §13):
 * target add/remove on `targets` or a delegation, delegation create/update/delete (keys,
 * paths, threshold), key purge on `targets/*`, witness, and base-role key replacement (root
 * scope, used by key rotation).
 *
 * The working copy only changes in memory; nothing is written or sent here. Any error aborts
 * the whole publish, so a failed change never leaves a half-applied state behind.
 */
import { errorMessage, NotaryError } from '../errors.js';
import type { Logger } from '../log.js';
import { parseGoJson } from '../tuf/canonical.js';
import { canonicalKeyId, goField, parseTufKey, tufKeyId } from '../tuf/keys.js';
import { ALL_PATHS, invalidRoleError, isDelegationRole, parentRole, restrictPaths } from '../tuf/roles.js';
import type {
  DelegationRole,
  FileMeta,
  ParsedMetadata,
  RoleKeys,
  RootSigned,
  TargetsSigned,
  TufKey,
} from '../tuf/types.js';
import { decodeDelegationPayload, decodeTargetPayload } from './change-payloads.js';

/** The parts of a staged change that replaying needs (a Go `TUFChange`). */
export interface ChangeToApply {
  action: string;
  /** the scope: `targets`, `targets/<x>`, `targets/*`, `root` */
  role: string;
  type: string;
  path: string;
  /** decoded `data` payload (JSON bytes), or null */
  data: Buffer | null;
}

/** One targets-type role (targets or a delegation) being edited. */
export interface WorkingTargets {
  /** Mutable copy of the role's `signed` object. */
  signed: TargetsSigned;
  /** Needs re-signing (Go's `Dirty`). */
  dirty: boolean;
  /** The metadata as loaded (absent for a role first created during this publish). */
  loaded?: ParsedMetadata<TargetsSigned>;
}

/** A repository being edited for one publish. */
export interface WorkingRepo {
  gun: string;
  /** Mutable copy of root's `signed` object. */
  root: RootSigned;
  rootDirty: boolean;
  /** Root role as loaded: a changed root role must also be signed by these keys (tuf.md §8). */
  originalRootRole: { keys: Record<string, TufKey>; threshold: number };
  /** `targets` and every loaded delegation, in walk order; new roles are appended. */
  targets: Map<string, WorkingTargets>;
  /** Delegations whose metadata parsed but did not verify (Go's `invalid` repo), for witness. */
  invalid: Map<string, ParsedMetadata<TargetsSigned>>;
  /** Delegations deleted by a change: their snapshot meta entries are dropped. */
  deletedRoles: Set<string>;
  /**
   * Canonical IDs of non-root private keys that a base-key replacement made unused. Go deletes
   * them before publishing; we leave the deletion to the caller, after a successful upload.
   */
  unusedKeyIds: Set<string>;
}

/**
 * Decides whether the local key stores can sign for a role (Go's VerifyCanSign: at least one
 * of the role's keys is available). Throws SIGNING_KEYS_MISSING (Go's ErrNoKeys text) when not.
 */
export interface SignabilityCheck {
  requireSignable(role: string, keys: Record<string, TufKey>): Promise<void>;
}

/** Fresh working copy of a loaded targets role. Target entries are shared, never mutated. */
export function workingTargets(meta: ParsedMetadata<TargetsSigned>): WorkingTargets {
  return { signed: cloneTargetsSigned(meta.signed), dirty: false, loaded: meta };
}

export function cloneTargetsSigned(s: TargetsSigned): TargetsSigned {
  const targets: Record<string, FileMeta> = Object.create(null);
  for (const name of Object.keys(s.targets)) setOwn(targets, name, s.targets[name]!);
  return {
    _type: 'Targets',
    delegations: {
      keys: { ...s.delegations.keys },
      roles: s.delegations.roles.map((r) => ({ ...r, keyids: [...r.keyids], paths: [...r.paths] })),
    },
    expires: s.expires,
    targets,
    version: s.version,
  };
}

export function cloneRootSigned(s: RootSigned): RootSigned {
  const roles: Record<string, RoleKeys> = {};
  for (const [name, r] of Object.entries(s.roles))
    roles[name] = { keyids: [...r.keyids], threshold: r.threshold };
  return { ...s, keys: { ...s.keys }, roles };
}

/** An empty targets object (Go's data.NewTargets): version 0, signed later as version 1. */
export function emptyTargetsSigned(expires: string): TargetsSigned {
  return {
    _type: 'Targets',
    delegations: { keys: {}, roles: [] },
    expires,
    targets: Object.create(null) as Record<string, FileMeta>,
    version: 0,
  };
}

/** Assign without tripping over a target literally named `__proto__`. */
function setOwn<T>(obj: Record<string, T>, key: string, value: T): void {
  if (key === '__proto__') {
    Object.defineProperty(obj, key, { value, writable: true, enumerable: true, configurable: true });
  } else {
    obj[key] = value;
  }
}

/** A role as the walk sees it: keys resolved, paths restricted by its ancestors. */
interface EffectiveRole {
  name: string;
  keys: Record<string, TufKey>;
  threshold: number;
  paths: readonly string[];
}

type VisitResult = 'stop' | 'continue' | NotaryError;

/** Go's IsWildDelegation: `targets/*`, `targets/x/*`. */
export function isWildDelegation(role: string): boolean {
  if (!role.endsWith('/*')) return false;
  const base = role.slice(0, -2);
  return base === 'targets' || isDelegationRole(base);
}

function isAncestorRole(candidateChild: string, candidateAncestor: string): boolean {
  return (
    candidateAncestor === '' ||
    candidateAncestor === candidateChild ||
    candidateChild.startsWith(`${candidateAncestor}/`)
  );
}

function changeError(message: string, hint?: string): NotaryError {
  return new NotaryError('CHANGELIST', message, { hint });
}

/** Applies changes to a working repository, in order, with Go's semantics. */
export class ChangeApplier {
  constructor(
    private readonly repo: WorkingRepo,
    private readonly keys: SignabilityCheck,
    private readonly log: Logger,
    /** Expiry written into targets objects created on the fly (overwritten when signed). */
    private readonly newRoleExpires: string,
  ) {}

  /** Applies every change; the first failure aborts (the caller discards the working copy). */
  async applyAll(changes: readonly ChangeToApply[]): Promise<void> {
    let index = 0;
    for (const c of changes) {
      try {
        await this.apply(c);
      } catch (e) {
        this.log.debug(
          `error attempting to apply change #${index}: ${c.action}, on scope: ${c.role} path: ${c.path} type: ${c.type}`,
        );
        throw e;
      }
      index++;
    }
    this.log.debug(`applied ${index} change(s)`);
  }

  async apply(c: ChangeToApply): Promise<void> {
    if (c.role === 'targets' || isDelegationRole(c.role) || isWildDelegation(c.role)) {
      switch (c.type) {
        case 'target':
          return this.changeTargetMeta(c);
        case 'delegation':
          return this.changeDelegation(c);
        case 'witness':
          return this.witness(c.role);
        default:
          throw changeError('only target meta and delegations changes supported');
      }
    }
    if (c.role === 'root') {
      if (c.type !== 'role') throw changeError(`type of root change not yet supported: ${c.type}`);
      if (c.action !== 'create') throw changeError(`action not yet supported for root: ${c.action}`);
      const d = decodePayload(c, 'root data', parseGoJson);
      if (d === null || typeof d !== 'object' || Array.isArray(d)) {
        throw changeError('invalid root change: expected {"keys":[...],"role":"<role>"}');
      }
      const role = goField(d as Record<string, unknown>, 'role');
      const rawKeys = goField(d as Record<string, unknown>, 'keys');
      if (typeof role !== 'string' || !Array.isArray(rawKeys)) {
        throw changeError('invalid root change: expected {"keys":[...],"role":"<role>"}');
      }
      const keys = rawKeys.map((k, i) => parseTufKey(k, `root change keys[${i}]`));
      return this.replaceBaseKeys(role, keys);
    }
    throw changeError(`scope not supported: ${c.role}`);
  }

  // ---- targets -------------------------------------------------------------------------

  private async changeTargetMeta(c: ChangeToApply): Promise<void> {
    try {
      if (c.action === 'create') {
        this.log.debug(`changelist add: ${c.path}`);
        await this.addTarget(c.role, c.path, parseFileMeta(c));
      } else if (c.action === 'delete') {
        this.log.debug(`changelist remove: ${c.path}`);
        await this.removeTarget(c.role, c.path);
      } else {
        throw changeError(`action not yet supported: ${c.action}`);
      }
    } catch (e) {
      if (c.action === 'create' || c.action === 'delete') {
        const verb = c.action === 'create' ? "couldn't add target to" : "couldn't remove target from";
        this.log.error(`${verb} ${c.role}: ${(e as Error).message}`);
      }
      throw e;
    }
  }

  /** Go's Repo.AddTargets for one target. */
  private async addTarget(role: string, name: string, meta: FileMeta): Promise<void> {
    await this.verifyCanSign(role);
    if (!this.repo.targets.has(role)) this.initTargets(role);
    let added = false;
    this.walk(name, role, (wt) => {
      setOwn(wt.signed.targets, name, meta);
      wt.dirty = true;
      added = true;
      return 'stop';
    });
    if (!added) {
      throw new NotaryError('CHANGELIST', 'Could not add all targets', {
        details: { role, target: name },
        hint: `The target "${name}" is outside the paths that ${role} may sign (check \`tsnotary delegation list ${this.repo.gun}\`), or the role cannot be reached from targets.`,
      });
    }
  }

  /** Go's Repo.RemoveTargets for one target (removing a missing target still re-signs). */
  private async removeTarget(role: string, name: string): Promise<void> {
    await this.verifyCanSign(role);
    if (!this.repo.targets.has(role)) return;
    this.walk('', role, (wt) => {
      if (Object.hasOwn(wt.signed.targets, name)) delete wt.signed.targets[name];
      wt.dirty = true;
      return 'stop';
    });
  }

  // ---- delegations ---------------------------------------------------------------------

  private async changeDelegation(c: ChangeToApply): Promise<void> {
    switch (c.action) {
      case 'create': {
        const td = parseDelegationPayload(c);
        await this.updateDelegationKeys(c.role, td.addKeys, [], td.threshold);
        await this.updateDelegationPaths(c.role, td.addPaths, [], false);
        return;
      }
      case 'update': {
        const td = parseDelegationPayload(c);
        if (isWildDelegation(c.role)) return this.purgeDelegationKeys(c.role, td.removeKeys);
        const role = this.getDelegationRole(c.role);
        // Changes name keys by canonical ID; metadata by TUF ID.
        const canonicalToTuf = new Map<string, string>();
        for (const [tufId, key] of Object.entries(role.keys)) canonicalToTuf.set(canonicalKeyId(key), tufId);
        const removeTufIds = td.removeKeys.map((id) => canonicalToTuf.get(id) ?? '');
        await this.updateDelegationKeys(c.role, td.addKeys, removeTufIds, td.threshold);
        await this.updateDelegationPaths(c.role, td.addPaths, td.removePaths, td.clearPaths);
        return;
      }
      case 'delete':
        return this.deleteDelegation(c.role);
      default:
        throw changeError(`unsupported action against delegations: ${c.action}`);
    }
  }

  private async updateDelegationKeys(
    roleName: string,
    addKeys: TufKey[],
    removeKeys: string[],
    newThreshold: number,
  ): Promise<void> {
    if (!isDelegationRole(roleName)) throw invalidRoleError(roleName, 'not a valid delegated role');
    const parent = parentRole(roleName);
    await this.verifyCanSign(parent);
    if (!this.repo.targets.has(parent)) this.initTargets(parent);
    this.walkOrThrow(
      '',
      parent,
      this.delegationUpdateVisitor(roleName, addKeys, removeKeys, [], [], false, newThreshold),
    );
  }

  private async updateDelegationPaths(
    roleName: string,
    addPaths: string[],
    removePaths: string[],
    clearPaths: boolean,
  ): Promise<void> {
    if (!isDelegationRole(roleName)) throw invalidRoleError(roleName, 'not a valid delegated role');
    const parent = parentRole(roleName);
    await this.verifyCanSign(parent);
    if (!this.repo.targets.has(parent)) throw invalidRoleError(roleName, 'no valid delegated role exists');
    this.walkOrThrow(
      '',
      parent,
      this.delegationUpdateVisitor(roleName, [], [], addPaths, removePaths, clearPaths, 1),
    );
  }

  /**
   * Go's delegationUpdateVisitor: validates the change against the parent (path restrictions),
   * then creates or edits the delegation entry in the parent's metadata.
   */
  private delegationUpdateVisitor(
    roleName: string,
    addKeys: TufKey[],
    removeKeys: string[],
    addPaths: string[],
    removePaths: string[],
    clearAllPaths: boolean,
    newThreshold: number,
  ): (wt: WorkingTargets, parent: EffectiveRole) => VisitResult {
    return (wt, parent) => {
      if (restrictPaths(parent.paths, addPaths).length !== addPaths.length) {
        return invalidRoleError(
          roleName,
          'invalid paths to add to role',
          `Every path of ${roleName} must start with one of the paths of ${parent.name}: ${JSON.stringify(parent.paths)}.`,
        );
      }
      const addIds = addKeys.map((k) => tufKeyId(k));
      const existing = wt.signed.delegations.roles.find((r) => r.name === roleName);
      let role: DelegationRole;
      if (existing) {
        role = {
          name: existing.name,
          keyids: [...existing.keyids],
          threshold: existing.threshold,
          paths: [...existing.paths],
        };
        role.paths = subtract(role.paths, removePaths);
        if (clearAllPaths) role.paths = [];
        role.paths = merge(role.paths, addPaths);
        role.keyids = subtract(role.keyids, removeKeys);
      } else {
        if (newThreshold < 1 || !isDelegationRole(roleName)) return invalidRoleError(roleName, '');
        if (addPaths.length === 0) {
          this.log.debug(
            `role ${roleName} with no Paths will never be able to publish content until one or more are added`,
          );
        }
        role = { name: roleName, keyids: addIds.slice(), threshold: newThreshold, paths: addPaths.slice() };
      }
      for (const id of addIds) if (!role.keyids.includes(id)) role.keyids.push(id);
      if (role.keyids.length < role.threshold) {
        this.log.warn(
          `role ${role.name} has fewer keys than its threshold of ${role.threshold}; it will not be usable until keys are added to it`,
        );
      }
      // Committed from here on (Go: the closure cannot fail after this point).
      addKeys.forEach((k, i) => {
        wt.signed.delegations.keys[addIds[i]!] = k;
      });
      const at = wt.signed.delegations.roles.findIndex((r) => r.name === role.name);
      if (at < 0) wt.signed.delegations.roles.push(role);
      else wt.signed.delegations.roles[at] = role;
      wt.dirty = true;
      removeUnusedKeys(wt.signed);
      return 'stop';
    };
  }

  /** Go's PurgeDelegationKeys: drop canonical key IDs from every delegation below `role`'s base. */
  private async purgeDelegationKeys(role: string, removeKeys: string[]): Promise<void> {
    const remove = new Set(removeKeys);
    const start = role.slice(0, -2);
    const visited: Array<{ wt: WorkingTargets; role: EffectiveRole }> = [];
    // Collect first: the signability checks are asynchronous, the walk is not.
    this.walkOrThrow('', start, (wt, r) => {
      visited.push({ wt, role: r });
      return 'continue';
    });
    for (const { wt, role: r } of visited) {
      const canSign = await this.canSign(r.name);
      const deleteIds: string[] = [];
      let needsUpdateCantSign = false;
      for (const [id, key] of Object.entries(wt.signed.delegations.keys)) {
        if (!remove.has(canonicalKeyId(key))) continue;
        if (!canSign) {
          needsUpdateCantSign = true;
          break;
        }
        deleteIds.push(id);
      }
      if (needsUpdateCantSign) {
        this.log.warn(
          `role ${r.name} contains keys being purged but you do not have the necessary keys present to sign it; keys will not be purged from ${r.name} or its immediate children`,
        );
        continue;
      }
      if (deleteIds.length === 0) continue;
      for (const id of deleteIds) delete wt.signed.delegations.keys[id];
      for (const d of wt.signed.delegations.roles) {
        d.keyids = subtract(d.keyids, deleteIds);
        if (d.keyids.length < d.threshold) {
          this.log.warn(
            `role ${d.name} has fewer keys than its threshold of ${d.threshold}; it will not be usable until keys are added to it`,
          );
        }
      }
      wt.dirty = true;
    }
  }

  /** Go's DeleteDelegation: unlink the role from its parent and drop its own metadata. */
  private async deleteDelegation(roleName: string): Promise<void> {
    if (!isDelegationRole(roleName)) throw invalidRoleError(roleName, 'not a valid delegated role');
    const parent = parentRole(roleName);
    await this.verifyCanSign(parent);
    this.repo.targets.delete(roleName);
    this.repo.deletedRoles.add(roleName);
    const p = this.repo.targets.get(parent);
    if (!p) return;
    const at = p.signed.delegations.roles.findIndex((r) => r.name === roleName);
    if (at >= 0) {
      p.signed.delegations.roles.splice(at, 1);
      removeUnusedKeys(p.signed);
      p.dirty = true;
    }
  }

  /**
   * Go's witnessTargets: re-sign a role as it is — also one whose metadata failed verification
   * (e.g. signed only by a key since removed), if its keys can meet its threshold now.
   */
  private witness(role: string): void {
    const wt = this.repo.targets.get(role);
    if (wt) {
      wt.dirty = true;
      return;
    }
    const invalid = this.repo.invalid.get(role);
    if (invalid && isDelegationRole(role)) {
      let declared: EffectiveRole | undefined;
      try {
        declared = this.getDelegationRole(role);
      } catch {
        declared = undefined;
      }
      if (declared) {
        if (declared.threshold > Object.keys(declared.keys).length) {
          throw invalidRoleError(
            role,
            'role does not specify enough valid signing keys to meet its required threshold',
          );
        }
        this.repo.targets.set(role, { ...workingTargets(invalid), dirty: true });
        return;
      }
    }
    throw invalidRoleError(
      role,
      'this role is not known',
      'Only roles whose metadata loaded from the server can be witnessed; check the name with `tsnotary delegation list`.',
    );
  }

  // ---- base roles (key rotation) -------------------------------------------------------

  /** Go's ReplaceBaseKeys: the role's key list becomes `keys`. */
  private replaceBaseKeys(role: string, keys: TufKey[]): void {
    const root = this.repo.root;
    const current = root.roles[role];
    if (!current) throw invalidRoleError(role, 'does not exist');
    const removed = new Set(current.keyids);
    current.keyids = [];
    // Keys still listed by another role stay.
    for (const [name, r] of Object.entries(root.roles)) {
      if (name === role) continue;
      for (const id of r.keyids) removed.delete(id);
    }
    if (role !== 'root') {
      for (const id of removed) {
        const k = root.keys[id];
        if (k) this.repo.unusedKeyIds.add(canonicalKeyId(k));
        delete root.keys[id];
      }
    }
    for (const k of keys) {
      const id = tufKeyId(k);
      root.keys[id] = k;
      current.keyids.push(id);
    }
    this.repo.rootDirty = true;
    if (role === 'targets') {
      const t = this.repo.targets.get('targets');
      if (t) t.dirty = true;
    }
  }

  // ---- role lookup, signability, walk --------------------------------------------------

  private initTargets(role: string): WorkingTargets {
    const wt: WorkingTargets = { signed: emptyTargetsSigned(this.newRoleExpires), dirty: false };
    this.repo.targets.set(role, wt);
    return wt;
  }

  private baseTargetsRole(): EffectiveRole {
    const r = this.repo.root.roles['targets'];
    if (!r) throw invalidRoleError('targets', 'does not exist');
    return { name: 'targets', keys: this.rootKeysOf(r), threshold: r.threshold, paths: ALL_PATHS };
  }

  private rootKeysOf(r: RoleKeys): Record<string, TufKey> {
    const keys: Record<string, TufKey> = {};
    for (const id of r.keyids) {
      const k = this.repo.root.keys[id];
      if (k) keys[id] = k;
    }
    return keys;
  }

  /** Keys of a role (base role from root, delegation from its parent's metadata). */
  private roleKeys(roleName: string): Record<string, TufKey> {
    if (isDelegationRole(roleName)) return this.getDelegationRole(roleName).keys;
    const r = this.repo.root.roles[roleName];
    if (!r) throw invalidRoleError(roleName, 'does not exist');
    return this.rootKeysOf(r);
  }

  /** Go's VerifyCanSign. */
  private async verifyCanSign(roleName: string): Promise<void> {
    await this.keys.requireSignable(roleName, this.roleKeys(roleName));
  }

  private async canSign(roleName: string): Promise<boolean> {
    try {
      await this.verifyCanSign(roleName);
      return true;
    } catch {
      return false;
    }
  }

  /** Go's GetDelegationRole: the role as declared in its parent (paths not restricted). */
  private getDelegationRole(name: string): EffectiveRole {
    if (!isDelegationRole(name)) throw invalidRoleError(name, 'invalid delegation name');
    let found: EffectiveRole | undefined;
    this.walkOrThrow('', parentRole(name), (wt) => {
      const decl = wt.signed.delegations.roles.find((r) => r.name === name);
      if (!decl) return 'continue';
      const built = buildDelegationRole(wt.signed, decl);
      if (built instanceof NotaryError) return built;
      found = built;
      return 'stop';
    });
    if (!found) {
      throw invalidRoleError(
        name,
        'delegation does not exist',
        `Create it first with \`tsnotary delegation add ${this.repo.gun} ${name} <cert> --all-paths\`, or reset the change with \`tsnotary reset\`.`,
      );
    }
    return found;
  }

  private walkOrThrow(
    targetPath: string,
    rolePath: string,
    visit: (wt: WorkingTargets, role: EffectiveRole) => VisitResult,
  ): void {
    const err = this.walk(targetPath, rolePath, visit);
    if (err) throw err;
  }

  /**
   * Go's WalkTargets: breadth-first from `targets`, descending only through valid delegations
   * (paths restricted by the parent), visiting roles in `rolePath`'s subtree whose paths allow
   * `targetPath` ('' = any), until a visitor says stop.
   */
  private walk(
    targetPath: string,
    rolePath: string,
    visit: (wt: WorkingTargets, role: EffectiveRole) => VisitResult,
  ): NotaryError | undefined {
    const queue: EffectiveRole[] = [this.baseTargetsRole()];
    while (queue.length > 0) {
      const role = queue.shift()!;
      const wt = this.repo.targets.get(role.name);
      if (!wt) continue;
      if (rolePath.startsWith(`${role.name}/`)) {
        queue.push(...validDelegations(wt.signed, role));
        continue;
      }
      const pathOk = targetPath === '' || role.paths.some((p) => targetPath.startsWith(p));
      if (pathOk && isAncestorRole(role.name, rolePath)) {
        const res = visit(wt, role);
        if (res === 'stop') return undefined;
        if (res instanceof NotaryError) return res;
        queue.push(...validDelegations(wt.signed, role));
      }
    }
    return undefined;
  }
}

/** Go's BuildDelegationRole: every listed key must be present in the parent's keys. */
function buildDelegationRole(parent: TargetsSigned, decl: DelegationRole): EffectiveRole | NotaryError {
  const keys: Record<string, TufKey> = {};
  for (const id of decl.keyids) {
    const k = parent.delegations.keys[id];
    if (!k) return invalidRoleError(decl.name, `role lists unknown key ${id} as a signing key`);
    keys[id] = k;
  }
  return { name: decl.name, keys, threshold: decl.threshold, paths: decl.paths };
}

/** Go's GetValidDelegations: direct children that build, with paths restricted by the parent. */
function validDelegations(signed: TargetsSigned, parent: EffectiveRole): EffectiveRole[] {
  const out: EffectiveRole[] = [];
  for (const decl of signed.delegations.roles) {
    const built = buildDelegationRole(signed, decl);
    if (built instanceof NotaryError) continue;
    if (parentRole(built.name) !== parent.name) continue;
    out.push({ ...built, paths: restrictPaths(parent.paths, built.paths) });
  }
  return out;
}

/** Go's utils.RemoveUnusedKeys: delegation keys no role lists are dropped. */
function removeUnusedKeys(signed: TargetsSigned): void {
  const used = new Set<string>();
  for (const r of signed.delegations.roles) for (const id of r.keyids) used.add(id);
  for (const id of Object.keys(signed.delegations.keys)) {
    if (!used.has(id)) delete signed.delegations.keys[id];
  }
}

function merge(orig: string[], add: string[]): string[] {
  const have = new Set(orig);
  const out = orig.slice();
  for (const e of add) {
    if (!have.has(e)) {
      out.push(e);
      have.add(e);
    }
  }
  return out;
}

function subtract(orig: string[], remove: string[]): string[] {
  if (remove.length === 0) return orig;
  const kill = new Set(remove);
  return orig.filter((e) => !kill.has(e));
}

// ---- payload parsing: the format is read by change-payloads.ts, shared with the staging side ----

/** Runs a change-payloads decoder on a change's data, naming the change in any error. */
function decodePayload<T>(c: ChangeToApply, what: string, decode: (bytes: Uint8Array) => T): T {
  if (!c.data) throw changeError(`invalid ${what} in change for ${c.role}: no data`);
  try {
    return decode(c.data);
  } catch (e) {
    throw new NotaryError('CHANGELIST', `invalid ${what} in change for ${c.role}: ${errorMessage(e)}`, {
      cause: e,
      hint: 'Remove the broken change with `tsnotary reset <gun> -n <number>` (see `tsnotary status`).',
    });
  }
}

/** A target's FileMeta from an add change (`{"length","hashes","custom"}`). */
function parseFileMeta(c: ChangeToApply): FileMeta {
  const p = decodePayload(c, 'target meta', decodeTargetPayload);
  const meta: FileMeta = { length: p.length, hashes: p.hashes };
  if (p.customValue !== undefined && p.customValue !== null) meta.custom = p.customValue;
  return meta;
}

interface DelegationEdit {
  threshold: number;
  addKeys: TufKey[];
  removeKeys: string[];
  addPaths: string[];
  removePaths: string[];
  clearPaths: boolean;
}

/** Go's changelist.TUFDelegation, with its keys checked as TUF keys. */
function parseDelegationPayload(c: ChangeToApply): DelegationEdit {
  const d = decodePayload(c, 'delegation data', decodeDelegationPayload);
  return {
    threshold: d.threshold ?? 0,
    addKeys: (d.addKeys ?? []).map((k, i) =>
      parseTufKey(
        { keytype: k.keytype, keyval: { public: k.public.toString('base64') } },
        `delegation change add_keys[${i}]`,
      ),
    ),
    removeKeys: d.removeKeys ?? [],
    addPaths: d.addPaths ?? [],
    removePaths: d.removePaths ?? [],
    clearPaths: d.clearPaths === true,
  };
}
