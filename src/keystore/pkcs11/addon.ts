/**
 * Lazy loading of the optional native addon `pkcs11js`. This is the only module that imports
 * it, and only when a token is probed, so commands that never touch a token pay nothing and a
 * machine where the addon failed to build still works (the token store is simply absent).
 */

/** A PKCS#11 object or session handle (pkcs11js uses Buffers). */
export type Handle = Buffer;

export interface Attribute {
  type: number;
  value?: number | boolean | string | Buffer;
}

export interface AttributeResult {
  type: number;
  value: Buffer;
}

export interface TokenInfoLike {
  label: string;
  manufacturerID: string;
  model: string;
  serialNumber: string;
  flags: number;
}

export interface ModuleInfoLike {
  manufacturerID: string;
  libraryDescription: string;
}

/** The subset of pkcs11js's `PKCS11` class the token store calls (names and shapes as 2.1.x). */
export interface Pkcs11Api {
  load(path: string): void;
  close(): void;
  C_Initialize(): void;
  C_Finalize(): void;
  C_GetInfo(): ModuleInfoLike;
  C_GetSlotList(tokenPresent?: boolean): Handle[];
  C_GetTokenInfo(slot: Handle): TokenInfoLike;
  C_OpenSession(slot: Handle, flags: number): Handle;
  C_CloseSession(session: Handle): void;
  C_Login(session: Handle, userType: number, pin?: string): void;
  C_Logout(session: Handle): void;
  C_CreateObject(session: Handle, template: Attribute[]): Handle;
  C_DestroyObject(session: Handle, object: Handle): void;
  C_FindObjectsInit(session: Handle, template: Attribute[]): void;
  C_FindObjects(session: Handle, maxObjectCount: number): Handle[];
  C_FindObjectsFinal(session: Handle): void;
  C_GetAttributeValue(session: Handle, object: Handle, template: Attribute[]): AttributeResult[];
  C_SignInit(session: Handle, mechanism: { mechanism: number }, key: Handle): void;
  C_Sign(session: Handle, data: Buffer, out: Buffer): Buffer;
  C_SignAsync?(session: Handle, data: Buffer, out: Buffer): Promise<Buffer>;
  C_GenerateKeyPair(
    session: Handle,
    mechanism: { mechanism: number },
    publicTemplate: Attribute[],
    privateTemplate: Attribute[],
  ): { publicKey: Handle; privateKey: Handle };
}

/** What the loader yields: a constructor for PKCS11 contexts. */
export interface Pkcs11Addon {
  create(): Pkcs11Api;
}

/** Imports the raw module; replaceable in tests to simulate a missing or broken addon. */
export type AddonImporter = () => Promise<unknown>;

// A variable specifier keeps TypeScript from requiring the optional package at compile time.
const ADDON_NAME = 'pkcs11js';

/**
 * Set by the single-file binary's entry (scripts/sea-entry.mjs): a `require` rooted at the
 * binary's own path. A Node single-executable cannot `import()` and cannot embed a native
 * addon, so the binary loads pkcs11js only from a `node_modules` beside it.
 */
interface SingleBinaryHost {
  require(id: string): unknown;
}

export function singleBinaryHost(): SingleBinaryHost | undefined {
  return (globalThis as { __tsnotarySingleBinary?: SingleBinaryHost }).__tsnotarySingleBinary;
}

export const importPkcs11js: AddonImporter = async () => {
  const host = singleBinaryHost();
  if (host) return host.require(ADDON_NAME);
  return import(ADDON_NAME);
};

export type AddonLoadResult =
  | { ok: true; addon: Pkcs11Addon }
  | { ok: false; reason: string; cause?: unknown };

/**
 * Loads pkcs11js. Uses the module's *default* export: under ESM a namespace import of this
 * CommonJS addon exposes only `PKCS11`/`default`, and every CK* constant would be undefined.
 */
export async function loadPkcs11Addon(importer: AddonImporter = importPkcs11js): Promise<AddonLoadResult> {
  let mod: unknown;
  try {
    mod = await importer();
  } catch (e) {
    const code = (e as { code?: unknown } | null)?.code;
    const missing = code === 'ERR_MODULE_NOT_FOUND' || code === 'MODULE_NOT_FOUND';
    return {
      ok: false,
      reason: missing
        ? singleBinaryHost()
          ? 'PKCS#11 support is not built into this single-file tsnotary (no pkcs11js beside it)'
          : 'PKCS#11 support is not installed (optional dependency pkcs11js is missing)'
        : `PKCS#11 support failed to load (pkcs11js: ${e instanceof Error ? e.message : String(e)})`,
      cause: e,
    };
  }
  const root = (mod as { default?: unknown } | null)?.default ?? mod;
  const ctor = (root as { PKCS11?: unknown } | null)?.PKCS11;
  if (typeof ctor !== 'function') {
    return { ok: false, reason: 'PKCS#11 support failed to load (pkcs11js has no PKCS11 class)' };
  }
  const Ctor = ctor as new () => Pkcs11Api;
  return { ok: true, addon: { create: () => new Ctor() } };
}
