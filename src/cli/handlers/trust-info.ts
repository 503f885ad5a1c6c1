/**
 * docker's view of a trust repository (cli/command/trust common.go, inspect.go): signed tags
 * with their signers, signers with their keys, administrative keys. Pure functions over the
 * verified RepoState, plus docker's JSON and table rendering.
 */

import type { RepoState } from '../../repo/state.js';
import { delegationRoles, walkTargets } from '../../repo/walk.js';
import { pathAllowed } from '../../tuf/roles.js';
import { tabwrite } from '../tabwriter.js';

export const RELEASES_ROLE = 'targets/releases';
export const REPO_ADMIN = 'Repo Admin';

export interface TagRow {
  SignedTag: string;
  Digest: string;
  Signers: string[];
}

export interface TrustInfo {
  rows: TagRow[];
  /** signer name → canonical key IDs (delegations other than releases) */
  signers: Map<string, string[]>;
  rootKeyIds: string[];
  targetsKeyIds: string[];
}

/** A target of one role, as notary's GetAllTargetMetadataByName returns it. */
export interface RoleTarget {
  role: string;
  name: string;
  sha256: string;
  length: number;
  hashes: Record<string, Buffer>;
}

export function isReleasedRole(role: string): boolean {
  return role === 'targets' || role === RELEASES_ROLE;
}

export function roleToSigner(role: string): string {
  return isReleasedRole(role) ? REPO_ADMIN : role.replace(/^targets\//, '');
}

/** Every (role, target) pair for `tag` ('' = all tags), in the walk's role order. */
export function allTargetsByName(state: RepoState, tag: string): RoleTarget[] {
  const out: RoleTarget[] = [];
  walkTargets(state, tag, '', (meta, role) => {
    for (const [name, fm] of Object.entries(meta.targets)) {
      if (tag !== '' && name !== tag) continue;
      if (!pathAllowed(role.paths, name)) continue;
      out.push({
        role: role.name,
        name,
        sha256: fm.hashes['sha256']?.toString('hex') ?? '',
        length: fm.length,
        hashes: fm.hashes,
      });
    }
    return 'continue';
  });
  return out;
}

/** fvbommel/sortorder NaturalLess: digit runs compare as numbers. */
export function naturalLess(a: string, b: string): boolean {
  let i = 0;
  let j = 0;
  const isDigit = (c: string) => c >= '0' && c <= '9';
  while (i < a.length && j < b.length) {
    const ca = a.charAt(i);
    const cb = b.charAt(j);
    if (isDigit(ca) && isDigit(cb)) {
      let ei = i;
      while (ei < a.length && isDigit(a.charAt(ei))) ei++;
      let ej = j;
      while (ej < b.length && isDigit(b.charAt(ej))) ej++;
      const na = a.slice(i, ei).replace(/^0+/, '');
      const nb = b.slice(j, ej).replace(/^0+/, '');
      if (na.length !== nb.length) return na.length < nb.length;
      if (na !== nb) return na < nb;
      // equal numbers: fewer leading zeros first
      if (ei - i !== ej - j) return ei - i < ej - j;
      i = ei;
      j = ej;
      continue;
    }
    if (ca !== cb) return ca < cb;
    i++;
    j++;
  }
  return a.length - i < b.length - j;
}

/** docker's matchReleasedSignatures: tags held by targets or targets/releases, with their other signers. */
export function releasedSignatures(all: readonly RoleTarget[]): TagRow[] {
  const rows = new Map<string, TagRow>();
  const key = (t: RoleTarget) => `${t.name}\u0000${t.sha256}`;
  for (const t of all) {
    if (isReleasedRole(t.role) && !rows.has(key(t))) {
      rows.set(key(t), { SignedTag: t.name, Digest: t.sha256, Signers: [] });
    }
  }
  for (const t of all) {
    const row = rows.get(key(t));
    if (row && !isReleasedRole(t.role)) row.Signers.push(roleToSigner(t.role));
  }
  return [...rows.values()].sort((x, y) =>
    naturalLess(x.SignedTag, y.SignedTag)
      ? -1
      : naturalLess(y.SignedTag, x.SignedTag)
        ? 1
        : x.Digest < y.Digest
          ? -1
          : 1,
  );
}

export function trustInfo(state: RepoState, tag: string): TrustInfo {
  const signers = new Map<string, string[]>();
  for (const d of delegationRoles(state)) {
    if (d.name === RELEASES_ROLE) continue;
    signers.set(roleToSigner(d.name), d.keyIds);
  }
  const roles = state.root.signed.roles;
  return {
    rows: releasedSignatures(allTargetsByName(state, tag)),
    signers,
    rootKeyIds: [...(roles['root']?.keyids ?? [])],
    targetsKeyIds: [...(roles['targets']?.keyids ?? [])],
  };
}

/** One element of `docker trust inspect`'s JSON array (field order as docker's struct). */
export function inspectJsonValue(name: string, info: TrustInfo): unknown {
  const signedTags = info.rows.map((r) => ({
    SignedTag: r.SignedTag,
    Digest: r.Digest,
    Signers: r.Signers.length === 0 ? [REPO_ADMIN] : r.Signers,
  }));
  const keysOf = (ids: readonly string[]) => ids.map((id) => (id === '' ? {} : { ID: id }));
  const signer = (n: string, ids: readonly string[]) => {
    const o: Record<string, unknown> = {};
    if (n !== '') o['Name'] = n;
    if (ids.length > 0) o['Keys'] = keysOf(ids);
    return o;
  };
  const signerList = [...info.signers.entries()]
    .sort((a, b) => (a[0] > b[0] ? -1 : a[0] < b[0] ? 1 : 0))
    .map(([n, ids]) => signer(n, ids));
  return {
    Name: name,
    SignedTags: signedTags,
    Signers: signerList,
    AdministrativeKeys: [signer('Root', info.rootKeyIds), signer('Repository', info.targetsKeyIds)],
  };
}

/** Go's encoding/json string escaping on top of JSON.stringify (`<`, `>`, `&`, U+2028/9). */
function goEscape(json: string): string {
  return json.replace(/[<>&\u2028\u2029]/g, (c) => `\\u${c.charCodeAt(0).toString(16).padStart(4, '0')}`);
}

/** docker's indented inspect output: `[]` when empty, else the array indented by 4 spaces. */
export function inspectJson(values: readonly unknown[]): string {
  if (values.length === 0) return '[]\n';
  return `${goEscape(JSON.stringify(values, null, 4))}\n`;
}

const DOCKER_TABLE = { minwidth: 10, padding: 3, padchar: ' ' };

function table(header: string[], rows: string[][]): string {
  const lines = [header, ...rows].map((r) => `${r.join('\t')}\n`).join('');
  return tabwrite(lines, DOCKER_TABLE);
}

const byteSort = (xs: readonly string[]) => [...xs].sort((a, b) => (a < b ? -1 : a > b ? 1 : 0));

/** `docker trust inspect --pretty` for one repository. */
export function prettyTrustInfo(name: string, info: TrustInfo): string {
  let out = '';
  if (info.rows.length > 0) {
    out += `\nSignatures for ${name}\n\n`;
    out += table(
      ['SIGNED TAG', 'DIGEST', 'SIGNERS'],
      info.rows.map((r) => [
        r.SignedTag,
        r.Digest,
        (r.Signers.length === 0 ? [`(${REPO_ADMIN})`] : byteSort(r.Signers)).join(', '),
      ]),
    );
  } else {
    out += `\nNo signatures for ${name}\n\n`;
  }
  if (info.signers.size > 0) {
    out += `\nList of signers and their keys for ${name}\n\n`;
    const rows = [...info.signers.entries()]
      .sort((a, b) => (naturalLess(a[0], b[0]) ? -1 : naturalLess(b[0], a[0]) ? 1 : 0))
      .map(([n, ids]) => [
        n,
        byteSort(ids)
          .map((id) => id.slice(0, 12))
          .join(', '),
      ]);
    out += table(['SIGNER', 'KEYS'], rows);
  }
  out += `\nAdministrative keys for ${name}\n\n`;
  out += `  Repository Key:\t${byteSort(info.targetsKeyIds).join(', ')}\n`;
  out += `  Root Key:\t${byteSort(info.rootKeyIds).join(', ')}\n`;
  return out;
}
