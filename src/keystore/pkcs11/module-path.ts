/**
 * Which PKCS#11 module (shared library) to load. Go notary probes a fixed list of libykcs11
 * paths (pkcs11.md §1) and offers no way to name another; tsnotary probes the same list by
 * default and lets the caller name a module explicitly (flag / config `pkcs11.module` /
 * env NOTARY_PKCS11_MODULE, resolved by the CLI), which then replaces the list.
 */
import { existsSync } from 'node:fs';

export const LINUX_MODULE_PATHS: readonly string[] = [
  '/usr/lib/libykcs11.so',
  '/usr/lib/libykcs11.so.1',
  '/usr/lib64/libykcs11.so',
  '/usr/lib64/libykcs11.so.1',
  '/usr/lib/x86_64-linux-gnu/libykcs11.so',
  '/usr/local/lib/libykcs11.so',
];

export const DARWIN_MODULE_PATHS: readonly string[] = [
  '/usr/local/lib/libykcs11.dylib',
  '/usr/local/docker/lib/libykcs11.dylib',
  '/usr/local/docker-experimental/lib/libykcs11.dylib',
];

/** Environment variables the CLI maps onto the options (documented here so they stay in one place). */
export const ENV_PKCS11_MODULE = 'NOTARY_PKCS11_MODULE';
export const ENV_PKCS11_TOKEN_LABEL = 'NOTARY_PKCS11_TOKEN_LABEL';

/** Go's default search list for the platform (Go builds pkcs11 support for Linux and macOS only). */
export function defaultModulePaths(platform: string = process.platform): readonly string[] {
  if (platform === 'darwin') return DARWIN_MODULE_PATHS;
  if (platform === 'linux') return LINUX_MODULE_PATHS;
  return [];
}

export interface ModuleCandidates {
  /** paths to try, in order */
  paths: readonly string[];
  /** true when the user named the module (then failing to use it deserves more than a debug line) */
  explicit: boolean;
}

/** The explicit module if one was named, else Go's defaults. */
export function moduleCandidates(explicitPath: string | undefined, platform?: string): ModuleCandidates {
  if (explicitPath !== undefined && explicitPath !== '') return { paths: [explicitPath], explicit: true };
  return { paths: defaultModulePaths(platform), explicit: false };
}

/** Candidates that exist on disk (Go: os.Stat before dlopen). */
export function existingModules(
  paths: readonly string[],
  exists: (p: string) => boolean = existsSync,
): string[] {
  return paths.filter((p) => exists(p));
}

/** PKCS#11 choices as the CLI resolves them: explicit option over config over environment. */
export interface Pkcs11Selection {
  modulePath?: string;
  tokenLabel?: string;
}

/**
 * Resolves module path and token label with the precedence option (flag) > config file >
 * environment. Pure: the CLI passes its env and parsed config values.
 */
export function resolvePkcs11Selection(sources: {
  option?: Pkcs11Selection;
  config?: Pkcs11Selection;
  env?: Record<string, string | undefined>;
}): Pkcs11Selection {
  const pick = (...vals: (string | undefined)[]) => vals.find((v) => v !== undefined && v !== '');
  const out: Pkcs11Selection = {};
  const modulePath = pick(
    sources.option?.modulePath,
    sources.config?.modulePath,
    sources.env?.[ENV_PKCS11_MODULE],
  );
  const tokenLabel = pick(
    sources.option?.tokenLabel,
    sources.config?.tokenLabel,
    sources.env?.[ENV_PKCS11_TOKEN_LABEL],
  );
  if (modulePath !== undefined) out.modulePath = modulePath;
  if (tokenLabel !== undefined) out.tokenLabel = tokenLabel;
  return out;
}
