/**
 * The shared machinery behind one NotaryClient: the trust directory's key store (opened once,
 * legacy layouts migrated), the key service (extra stores first, then the files) and the
 * remote factory. Internal to the library layer: the CLI builds the same engine through
 * `NotaryClient` options, so both run one code path.
 */
import { NotaryError } from '../errors.js';
import { CryptoService } from '../keystore/crypto-service.js';
import { FileKeyStore } from '../keystore/file-store.js';
import type { KeyStore, PassphraseRetriever } from '../keystore/types.js';
import { type Logger, silentLogger } from '../log.js';
import type { Access, Remote } from '../remote/types.js';
import type { TrustPinning } from '../repo/settings.js';
import { type Clock, systemClock } from '../tuf/types.js';
import type { NotaryClientOptions } from './options.js';
import { externalSignerStore } from './signers.js';

/** Without a `passphrase` option no key is ever decrypted or created with a passphrase. */
const noPassphrase: PassphraseRetriever = async (req) => {
  throw new NotaryError('NO_PASSPHRASE_INPUT', `no passphrase available for the ${req.alias || 'new'} key`, {
    hint: 'Give NotaryClient a `passphrase` callback (passphraseFromEnvironment applies the NOTARY_*_PASSPHRASE rules of the CLI).',
    details: { alias: req.alias, keyName: req.keyName },
  });
};

export class Engine {
  readonly trustDir: string;
  readonly log: Logger;
  readonly clock: Clock;
  readonly pinning: TrustPinning;
  readonly retriever: PassphraseRetriever;
  readonly fileStore: FileKeyStore;
  private readonly extraStores: KeyStore[];
  private service: Promise<CryptoService> | undefined;
  /** How long a write waits for another process holding the GUN's lock (gun-lock.ts); unset: its default. */
  lockTimeoutMs: number | undefined;

  /**
   * `stores`: the CLI's key stores in Go's order (token probed lazily, its shared file store);
   * when given they replace the stores built from the options.
   */
  constructor(
    readonly options: NotaryClientOptions,
    private readonly stores?: () => Promise<KeyStore[]>,
  ) {
    if (typeof options?.trustDir !== 'string' || options.trustDir === '') {
      throw new NotaryError('CONFIG', 'a trust directory is required', {
        hint: 'Pass { trustDir } to NotaryClient, e.g. ~/.notary or ~/.docker/trust.',
      });
    }
    this.trustDir = options.trustDir;
    this.log = options.logger ?? silentLogger;
    this.clock = options.clock ?? systemClock;
    this.pinning = {
      certs: options.trustPinning?.certs ?? {},
      ca: options.trustPinning?.ca ?? {},
      disableTofu: options.trustPinning?.disableTofu ?? false,
    };
    this.retriever = options.passphrase ?? noPassphrase;
    this.fileStore = new FileKeyStore(this.trustDir, this.retriever, this.log);
    this.extraStores = [...(options.keyStores ?? [])];
    if (options.signers && options.signers.length > 0) {
      this.extraStores.unshift(externalSignerStore(options.signers));
    }
  }

  /** Key stores in Go's order: external ones (token, signers) first, then the key files. */
  keys(): Promise<CryptoService> {
    this.service ??= (async () => {
      if (this.stores) return new CryptoService(await this.stores(), this.log);
      await this.fileStore.open();
      return new CryptoService([...this.extraStores, this.fileStore], this.log);
    })();
    return this.service;
  }

  /** Pings the server (or calls the `remote` factory) for one GUN and access level. */
  async openRemote(gun: string, access: Access): Promise<Remote> {
    const o = this.options;
    if (o.remote) return o.remote(gun, access);
    if (o.server === undefined || o.server === '') {
      throw new NotaryError('CONFIG', `no trust server configured for ${gun}`, {
        hint: 'Pass { server: "https://notary.example.com:4443" } (or a `remote` factory) to NotaryClient.',
      });
    }
    const [{ validateServerUrl }, { openRemote }] = await Promise.all([
      import('../remote/server-url.js'),
      import('../remote/open.js'),
    ]);
    const baseUrl = validateServerUrl(o.server);
    const auth = o.auth;
    return openRemote({
      baseUrl,
      gun,
      access,
      tls: {
        skipVerify: o.tls?.insecureSkipVerify ?? false,
        ...(o.tls?.caFile ? { caFile: o.tls.caFile } : {}),
        ...(o.tls?.certFile ? { certFile: o.tls.certFile } : {}),
        ...(o.tls?.keyFile ? { keyFile: o.tls.keyFile } : {}),
      },
      ...(auth === undefined ? {} : { credentials: typeof auth === 'function' ? auth : async () => auth }),
      log: this.log,
      env: o.environment ?? {},
      ...(o.timeouts ? { timeouts: o.timeouts } : {}),
    });
  }
}
