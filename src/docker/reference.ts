/**
 * Image references as docker parses them (distribution/reference `ParseNormalizedNamed`), with
 * the same error texts: `alpine` → `docker.io/library/alpine`, `localhost:5000/app:1` keeps its
 * registry. Pure: no network, no environment.
 *
 * The GUN of a docker trust repository is the normalised name without tag or digest; messages
 * print the reference as the user typed it.
 */
import { NotaryError } from '../errors.js';

export const DEFAULT_DOMAIN = 'docker.io';
const LEGACY_DEFAULT_DOMAIN = 'index.docker.io';
const OFFICIAL_REPO_PREFIX = 'library/';
const NAME_TOTAL_LENGTH_MAX = 255;

// The grammar of distribution/reference (regexp.go), anchored.
const ALNUM = '[a-z0-9]+';
const SEPARATOR = '(?:[._]|__|[-]+)';
const PATH_COMPONENT = `${ALNUM}(?:${SEPARATOR}${ALNUM})*`;
const DOMAIN_COMPONENT = '(?:[a-zA-Z0-9]|[a-zA-Z0-9][a-zA-Z0-9-]*[a-zA-Z0-9])';
const DOMAIN_NAME = `${DOMAIN_COMPONENT}(?:\\.${DOMAIN_COMPONENT})*`;
const IPV6 = '\\[(?:[a-fA-F0-9:]+)\\]';
const HOST = `(?:${DOMAIN_NAME}|${IPV6})`;
const DOMAIN = `${HOST}(?::[0-9]+)?`;
const TAG = '[\\w][\\w.-]{0,127}';
const DIGEST = '[A-Za-z][A-Za-z0-9]*(?:[-_+.][A-Za-z][A-Za-z0-9]*)*[:][0-9a-fA-F]{32,}';
const NAME = `(?:${DOMAIN}/)?${PATH_COMPONENT}(?:/${PATH_COMPONENT})*`;
const REFERENCE = new RegExp(`^(${NAME})(?::(${TAG}))?(?:@(${DIGEST}))?$`);
const ANCHORED_NAME = new RegExp(`^(?:(${DOMAIN})/)?(${PATH_COMPONENT}(?:/${PATH_COMPONENT})*)$`);
const HEX64 = /^[a-f0-9]{64}$/;

/** A parsed, normalised image reference. */
export interface ImageReference {
  /** as typed (docker prints this in most messages) */
  original: string;
  /** registry host[:port], `docker.io` for Docker Hub */
  domain: string;
  /** repository path inside the registry (`library/alpine`) */
  path: string;
  /** `domain/path`: the GUN */
  name: string;
  /** '' when absent (docker does not default it for trust commands) */
  tag: string;
  /** `sha256:...` or '' */
  digest: string;
}

function invalid(message: string, original: string): NotaryError {
  return new NotaryError('INVALID_INPUT', message, {
    hint: 'An image reference is [REGISTRY[:PORT]/]REPOSITORY[:TAG], lowercase (e.g. registry.example.com/team/app:1.0).',
    details: { reference: original },
  });
}

/** distribution/reference splitDockerDomain. */
function splitDockerDomain(name: string): { domain: string; remainder: string } {
  const i = name.indexOf('/');
  let domain: string;
  let remainder: string;
  const first = i === -1 ? '' : name.slice(0, i);
  if (i === -1 || (!/[.:]/.test(first) && first !== 'localhost' && first.toLowerCase() === first)) {
    domain = DEFAULT_DOMAIN;
    remainder = name;
  } else {
    domain = first;
    remainder = name.slice(i + 1);
  }
  if (domain === LEGACY_DEFAULT_DOMAIN) domain = DEFAULT_DOMAIN;
  if (domain === DEFAULT_DOMAIN && !remainder.includes('/')) remainder = OFFICIAL_REPO_PREFIX + remainder;
  return { domain, remainder };
}

/** docker's `reference.ParseNormalizedNamed`, errors worded as docker prints them. */
export function parseImageReference(s: string): ImageReference {
  if (HEX64.test(s)) {
    throw invalid(`invalid repository name (${s}), cannot specify 64-byte hexadecimal strings`, s);
  }
  const { domain, remainder } = splitDockerDomain(s);
  // The lowercase check applies to the repository part only (up to a tag or digest).
  const tagSep = remainder.indexOf(':');
  const remoteName = tagSep > -1 ? remainder.slice(0, tagSep) : remainder;
  if (remoteName.toLowerCase() !== remoteName) {
    throw invalid(`invalid reference format: repository name (${remoteName}) must be lowercase`, s);
  }
  const full = `${domain}/${remainder}`;
  const m = REFERENCE.exec(full);
  if (!m) {
    if (s === '') throw invalid('invalid reference format', s);
    throw invalid('invalid reference format', s);
  }
  const name = m[1]!;
  if (name.length > NAME_TOTAL_LENGTH_MAX) {
    throw invalid(`repository name must not be more than ${NAME_TOTAL_LENGTH_MAX} characters`, s);
  }
  const nm = ANCHORED_NAME.exec(name);
  if (!nm) throw invalid('invalid reference format', s);
  const digest = m[3] ?? '';
  if (digest !== '') checkDigest(digest, s);
  return {
    original: s,
    domain: nm[1] ?? '',
    path: nm[2]!,
    name,
    tag: m[2] ?? '',
    digest,
  };
}

/** go-digest's Validate for the algorithms docker knows. */
function checkDigest(digest: string, original: string): void {
  const [alg, hex] = digest.split(':') as [string, string];
  const sizes: Record<string, number> = { sha256: 64, sha384: 96, sha512: 128 };
  const size = sizes[alg];
  if (size === undefined) throw invalid('unsupported digest algorithm', original);
  if (hex.length !== size) throw invalid('invalid checksum digest length', original);
  if (!/^[a-f0-9]+$/.test(hex)) throw invalid('invalid checksum digest format', original);
}

/** Docker Hub (`docker.io`): its trust server is notary.docker.io. */
export function isOfficialIndex(ref: ImageReference): boolean {
  return ref.domain === DEFAULT_DOMAIN;
}

/** Host part of `host[:port]` (IPv6 brackets removed). */
export function hostOf(domain: string): string {
  if (domain.startsWith('[')) return domain.slice(1, domain.indexOf(']'));
  const i = domain.lastIndexOf(':');
  return i === -1 ? domain : domain.slice(0, i);
}

/** docker's default insecure registries: loopback addresses and `localhost`. */
export function isLoopbackHost(host: string): boolean {
  const h = host.toLowerCase();
  if (h === 'localhost' || h === '::1') return true;
  return /^127\.\d{1,3}\.\d{1,3}\.\d{1,3}$/.test(h);
}

/** A registry docker treats as insecure (TLS not verified, plain http allowed). */
export function isInsecureRegistry(ref: ImageReference): boolean {
  return !isOfficialIndex(ref) && isLoopbackHost(hostOf(ref.domain));
}

/** `reference.FamiliarName`: `docker.io/library/alpine` → `alpine`. */
export function familiarName(ref: ImageReference): string {
  if (ref.domain !== DEFAULT_DOMAIN) return ref.name;
  const p = ref.path;
  if (p.startsWith(OFFICIAL_REPO_PREFIX) && !p.slice(OFFICIAL_REPO_PREFIX.length).includes('/')) {
    return p.slice(OFFICIAL_REPO_PREFIX.length);
  }
  return p;
}
