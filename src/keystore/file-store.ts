/**
 * The encrypted key files under `<trust_dir>/private` (on-disk.md §2–4), shared byte for byte with
 * Go notary. Every write is atomic (temp + rename), files 0600, dirs 0700; a wrong passphrase
 * never changes a file.
 */
import { promises as fs, readFileSync } from 'node:fs';
import { join } from 'node:path';
import type { PrivateKey } from '../crypto/keys.js';
import {
  isPrivateKeyPemType,
  type PemBlock,
  pemDecodeAll,
  pemDecodeFirst,
  pemEncode,
} from '../crypto/pem.js';
import { NotaryError } from '../errors.js';
import { type Logger, silentLogger } from '../log.js';
import { ensurePrivateDir, listFiles, writeFileAtomic } from './fs-util.js';
import { migrateLegacyKeys } from './legacy.js';
import { askNewPassphrase, decryptWithRetries } from './passphrase.js';
import type { KeyInfo, KeyStore, PassphraseRetriever, Signer } from './types.js';

/**
 * Key decoding, encryption, key IDs and signing, loaded when a key is read or written: listing
 * keys only reads PEM headers, and node:crypto alone is a large share of `key list`'s start-up
 * (docs/decisions.md, issue 10 round 3).
 */
async function keyCrypto() {
  const [privateKey, keygen, signer] = await Promise.all([
    import('../crypto/private-key.js'),
    import('../crypto/keygen.js'),
    import('./signer.js'),
  ]);
  return { ...privateKey, ...keygen, ...signer };
}

const CANONICAL_WITH_GUN = new Set(['targets', 'snapshot', 'timestamp']);

/** Go: only targets/snapshot/timestamp keys carry a GUN header (root, delegations, others: none). */
export function keyHeaders(role: string, gun: string): Record<string, string> {
  return CANONICAL_WITH_GUN.has(role) && gun !== '' ? { gun, role } : { role };
}

/** A key ID usable as a file name: no separators, no dot-dot, not empty. */
function checkKeyIdPath(keyId: string): void {
  if (
    keyId === '' ||
    keyId.includes('/') ||
    keyId.includes('\\') ||
    keyId.includes('\0') ||
    keyId === '.' ||
    keyId === '..'
  ) {
    throw new NotaryError('INVALID_INPUT', `invalid key ID provided: ${keyId}`);
  }
}

/** A relative location (import `path:` header) that stays inside `private/`. */
function checkLocation(loc: string): boolean {
  if (loc === '' || loc.startsWith('/') || loc.includes('\\') || loc.includes('\0')) return false;
  return loc.split('/').every((seg) => seg !== '' && seg !== '.' && seg !== '..');
}

export interface ExportOptions {
  /** canonical key IDs (base names); exported in walk order */
  keyIds?: string[];
  /** only keys whose `gun:` header equals this; exported sorted by path */
  gun?: string;
}

export interface ImportOptions {
  role?: string;
  gun?: string;
}

export interface ImportResult {
  /** locations written (relative to private/, without .key) */
  written: string[];
  /** one entry per skipped block (Go's `invalid key pem block`) */
  skipped: string[];
}

export class FileKeyStore implements KeyStore {
  readonly location: string;
  readonly privateDir: string;
  private readonly cache = new Map<string, { key: PrivateKey; role: string }>();
  private opened: Promise<void> | undefined;

  constructor(
    trustDir: string,
    private readonly retriever: PassphraseRetriever,
    private readonly log: Logger = silentLogger,
  ) {
    this.privateDir = join(trustDir, 'private');
    this.location = this.privateDir;
  }

  static privateDirOf(trustDir: string): string {
    return join(trustDir, 'private');
  }

  /** Creates `private/` and migrates legacy layouts (Go does both whenever it opens the store). */
  open(): Promise<void> {
    this.opened ??= (async () => {
      await ensurePrivateDir(this.privateDir);
      await migrateLegacyKeys(this.privateDir, this.log);
    })();
    return this.opened;
  }

  private keyPath(keyId: string): string {
    return join(this.privateDir, `${keyId}.key`);
  }

  private async readKeyFile(rel: string): Promise<string | undefined> {
    try {
      return await fs.readFile(join(this.privateDir, rel), 'utf8');
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
      throw new NotaryError(
        'IO',
        `could not read key file ${join(this.privateDir, rel)}: ${(e as Error).message}`,
        {
          cause: e,
        },
      );
    }
  }

  /**
   * readKeyFile without the thread-pool round trips: `key list` reads every key file (a few
   * hundred bytes each) one after the other, where each async read costs more than the read.
   */
  private readKeyFileSync(rel: string): string | undefined {
    try {
      return readFileSync(join(this.privateDir, rel), 'utf8');
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
      throw new NotaryError(
        'IO',
        `could not read key file ${join(this.privateDir, rel)}: ${(e as Error).message}`,
        { cause: e },
      );
    }
  }

  async list(): Promise<KeyInfo[]> {
    await this.open();
    const byId = new Map<string, KeyInfo>();
    for (const rel of await listFiles(this.privateDir, '.key')) {
      let text: string | undefined;
      try {
        text = this.readKeyFileSync(rel);
      } catch (e) {
        // Go logs unreadable files and lists the others
        this.log.error(e instanceof Error ? e.message : String(e));
        continue;
      }
      if (text === undefined) continue;
      const { block } = pemDecodeFirst(text);
      if (!block) {
        this.log.error(`PEM block is empty: ${join(this.privateDir, rel)}`);
        continue;
      }
      if (!isPrivateKeyPemType(block.type)) {
        this.log.error(`unknown key format "${block.type}": ${join(this.privateDir, rel)}`);
        continue;
      }
      const base = rel.slice(rel.lastIndexOf('/') + 1, -'.key'.length);
      byId.set(base, {
        keyId: base,
        role: block.headers['role'] ?? '',
        gun: block.headers['gun'] ?? '',
        location: this.location,
      });
    }
    return [...byId.values()];
  }

  async info(keyId: string): Promise<KeyInfo | undefined> {
    await this.open();
    checkKeyIdPath(keyId);
    const text = await this.readKeyFile(`${keyId}.key`);
    if (text === undefined) return undefined;
    const { block } = pemDecodeFirst(text);
    if (!block || !isPrivateKeyPemType(block.type)) return undefined;
    return {
      keyId,
      role: block.headers['role'] ?? '',
      gun: block.headers['gun'] ?? '',
      location: this.location,
    };
  }

  /** The decrypted key and its role; asks the retriever when encrypted. Undefined when absent. */
  async getPrivateKey(keyId: string): Promise<{ key: PrivateKey; role: string } | undefined> {
    await this.open();
    checkKeyIdPath(keyId);
    const cached = this.cache.get(keyId);
    if (cached) return cached;
    const text = await this.readKeyFile(`${keyId}.key`);
    if (text === undefined) return undefined;
    const { block } = pemDecodeFirst(text);
    if (!block) throw new NotaryError('KEY_INVALID', `no valid private key found in ${this.keyPath(keyId)}`);
    const role = block.headers['role'] ?? '';
    const { parsePrivateKeyPem } = await keyCrypto();
    let key: PrivateKey;
    try {
      key = parsePrivateKeyPem(block);
    } catch (e) {
      if (!(e instanceof NotaryError) || e.code !== 'PASSPHRASE') throw e;
      key = await decryptWithRetries(this.retriever, keyId, role, (pass) => parsePrivateKeyPem(block, pass));
    }
    const entry = { key, role };
    this.cache.set(keyId, entry);
    return entry;
  }

  async getSigner(keyId: string): Promise<Signer | undefined> {
    const entry = await this.getPrivateKey(keyId);
    return entry ? (await keyCrypto()).fileSigner(entry.key, keyId) : undefined;
  }

  async add(key: PrivateKey, role: string, gun: string): Promise<string> {
    await this.open();
    const keyId = (await keyCrypto()).canonicalIdOf(key);
    const existing = await this.info(keyId);
    if (existing) {
      if (existing.role !== role) {
        throw new NotaryError('KEY_EXISTS', `key with same ID already exists for role: ${existing.role}`);
      }
      return keyId;
    }
    await this.writeKey(key, keyId, role, gun, this.retriever);
    this.cache.set(keyId, { key, role });
    return keyId;
  }

  private async writeKey(
    key: PrivateKey,
    keyId: string,
    role: string,
    gun: string,
    retriever: PassphraseRetriever,
  ): Promise<void> {
    const { encodeEncryptedKeyPem, encodePlainKeyPem } = await keyCrypto();
    const pass = await askNewPassphrase(retriever, keyId, role);
    const headers = keyHeaders(role, gun);
    const pem = pass === '' ? encodePlainKeyPem(key, headers) : encodeEncryptedKeyPem(key, pass, headers);
    await writeFileAtomic(this.keyPath(keyId), pem);
  }

  async remove(keyId: string): Promise<void> {
    await this.open();
    checkKeyIdPath(keyId);
    this.cache.delete(keyId);
    await fs.rm(this.keyPath(keyId), { force: true });
  }

  /**
   * `key passwd`: decrypts with this store's retriever, asks `newRetriever` (a fresh one, so the
   * unlocking passphrase is not reused from the cache) for the new passphrase, rewrites the file
   * atomically in notary's PKCS#8 form with the same role/gun.
   */
  async changePassphrase(keyId: string, newRetriever: PassphraseRetriever): Promise<void> {
    const info = await this.info(keyId);
    const entry = info ? await this.getPrivateKey(keyId) : undefined;
    if (!info || !entry) throw new NotaryError('KEY_NOT_FOUND', `No key with ID ${keyId} found`);
    await this.writeKey(entry.key, keyId, info.role, info.gun, newRetriever);
  }

  /** `key export`: every PEM block of the selected files with a `path:` header (Go's rules). */
  async exportBlocks(opts: ExportOptions = {}): Promise<string> {
    await this.open();
    let files = (await listFiles(this.privateDir, '.key')).map((r) => r.slice(0, -'.key'.length));
    if (opts.gun !== undefined) {
      files = [...files].sort();
    }
    const want = opts.keyIds ? new Set(opts.keyIds) : undefined;
    let out = '';
    for (const loc of files) {
      const text = await this.readKeyFile(`${loc}.key`);
      if (text === undefined) continue;
      if (want && !want.has(loc.slice(loc.lastIndexOf('/') + 1))) continue;
      if (opts.gun !== undefined) {
        const { block } = pemDecodeFirst(text);
        if (!block) {
          this.log.warn(`Could not parse key file at ${loc}`);
          continue;
        }
        if ((block.headers['gun'] ?? '') !== opts.gun) continue;
      }
      for (const block of pemDecodeAll(text)) {
        out += pemEncode({ ...block, headers: { ...block.headers, path: loc } });
      }
    }
    return out;
  }

  /** `key import`: Go's per-block rules (on-disk.md §4.5). Throws after writing when blocks were skipped. */
  async importBlocks(text: string, opts: ImportOptions = {}): Promise<ImportResult> {
    await this.open();
    const { canonicalIdOf, encodeEncryptedKeyPem, encodePlainKeyPem, parsePrivateKeyPem } = await keyCrypto();
    const result: ImportResult = { written: [], skipped: [] };
    const pending: { loc: string; data: string }[] = [];
    for (const original of pemDecodeAll(text)) {
      const block: PemBlock = { ...original, headers: { ...original.headers } };
      const h = block.headers;
      const rawPath = h['path'] ?? '';
      if (rawPath !== '' && rawPath.includes('/')) {
        const dir = rawPath.slice(0, rawPath.lastIndexOf('/'));
        if (dir.startsWith('tuf_keys')) {
          const gun = dir.slice('tuf_keys'.length).replace(/^\/+|\/+$/g, '');
          if (gun !== '') h['gun'] = gun;
        }
        h['path'] = rawPath.slice(rawPath.lastIndexOf('/') + 1);
      }
      if ((h['gun'] ?? '') === '' && opts.gun) h['gun'] = opts.gun;
      if ((h['role'] ?? '') === '') h['role'] = opts.role || 'delegation';
      const role = h['role']!;
      if (CANONICAL_WITH_GUN.has(role)) {
        if ((h['gun'] ?? '') === '') {
          this.log.warn(
            `failed to import key (${h['path'] ?? ''}) to store: Cannot have canonical role key without a gun, don't know what gun it belongs to`,
          );
          result.skipped.push('invalid key pem block');
          continue;
        }
      } else {
        delete h['gun'];
      }
      let plainKey: PrivateKey | undefined;
      try {
        plainKey = isPrivateKeyPemType(block.type) ? parsePrivateKeyPem(block) : undefined;
      } catch {
        plainKey = undefined;
      }
      let loc = h['path'] ?? '';
      if (loc === '') {
        if (!plainKey) {
          this.log.warn(
            'failed to import key to store: Invalid key generated, key may be encrypted and does not contain path header',
          );
          result.skipped.push('invalid key pem block');
          continue;
        }
        loc = canonicalIdOf(plainKey);
      }
      if (!checkLocation(loc)) {
        this.log.warn(
          `failed to import key to store: path header ${JSON.stringify(loc)} leaves the key directory`,
        );
        result.skipped.push('invalid key pem block');
        continue;
      }
      delete h['path'];
      let data: string;
      if (plainKey) {
        const pass = await askNewPassphrase(this.retriever, loc, role);
        data =
          pass === ''
            ? encodePlainKeyPem(plainKey, keyHeaders(role, h['gun'] ?? ''))
            : encodeEncryptedKeyPem(plainKey, pass, keyHeaders(role, h['gun'] ?? ''));
      } else {
        data = pemEncode(block);
      }
      const last = pending[pending.length - 1];
      if (last && last.loc === loc) last.data += data;
      else pending.push({ loc, data });
    }
    for (const p of pending) {
      await writeFileAtomic(join(this.privateDir, `${p.loc}.key`), p.data);
      this.cache.delete(p.loc.slice(p.loc.lastIndexOf('/') + 1));
      result.written.push(p.loc);
    }
    return result;
  }
}
