/**
 * The other files and bodies tsnotary reads from outside: change files and their payloads, the
 * config file (with its trust_pinning section), server error bodies and key JSON, and the
 * trust-pinning check of a root against pinned IDs or a CA bundle.
 */
import { mkdtempSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import fc from 'fast-check';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { resolveSettings } from '../../src/cli/config.js';
import type { GlobalOptions } from '../../src/cli/context.js';
import { NotaryError } from '../../src/errors.js';
import { silentLogger } from '../../src/log.js';
import { parseServerErrors, type RequestContext, statusError } from '../../src/remote/errors.js';
import { parseKeyJson } from '../../src/remote/key-json.js';
import {
  decodeDelegationPayload,
  decodeTargetPayload,
  encodeDelegationPayload,
  encodeTargetPayload,
  prepareCustom,
} from '../../src/repo/change-payloads.js';
import { type Change, parseChange, serializeChange } from '../../src/repo/changelist.js';
import type { TrustPinning } from '../../src/repo/settings.js';
import { validateRoot } from '../../src/repo/trust-pinning.js';
import { parseMetadata } from '../../src/tuf/metadata.js';
import type { RootSigned } from '../../src/tuf/types.js';
import { buildRepo, ecdsaKey, rootKey } from '../unit/repo/update-harness.js';
import {
  anyBytes,
  checkThrown,
  FIXTURES,
  fixture,
  hostileJsonValue,
  jsonMutated,
  jsonTextTricks,
  mutated,
  parses,
  parsesAsync,
  reportCounts,
  runs,
} from './harness.js';

reportCounts('repo inputs');

const changeSeeds = readdirSync(join(FIXTURES, 'vectors/changelist'))
  .filter((f) => f.endsWith('.change'))
  .map((f) => fixture('vectors/changelist', f));
const payloads = changeSeeds.map((b) => parseChange(b).data).filter((d): d is Buffer => d !== null);

describe('change files', () => {
  const anyChange = fc.oneof(
    anyBytes(300),
    mutated(changeSeeds),
    jsonMutated(changeSeeds),
    jsonTextTricks(changeSeeds),
  );

  it('parseChange: a change or a NotaryError', () => {
    fc.assert(
      fc.property(anyChange, (b) => {
        const c = parses('parseChange', () => parseChange(b));
        // What parses is what Go would write again: serialising it is stable.
        if (c.ok) expect(parseChange(serializeChange(c.value))).toEqual(c.value);
      }),
      {
        numRuns: runs(400),
        examples: [
          [Buffer.from('{"action":"create","role":"targets","type":"target","data":"!!"}')],
          [Buffer.from('[')],
        ],
      },
    );
  });

  it('round trip: serializeChange → parseChange for any change', () => {
    const change = fc.record({
      action: fc.constantFrom('create', 'update', 'delete'),
      role: fc.string({ unit: 'binary', minLength: 1, maxLength: 30 }).filter((r) => r.isWellFormed()),
      type: fc.constantFrom('target', 'delegation', 'witness', 'role'),
      path: fc.string({ unit: 'binary', maxLength: 30 }).filter((p) => p.isWellFormed()),
      data: fc.option(anyBytes(100), { nil: null }),
    }) as fc.Arbitrary<Change>;
    fc.assert(
      fc.property(change, (c) => {
        const back = parses('parseChange', () => parseChange(serializeChange(c)));
        expect(back.ok && back.value).toEqual(c);
      }),
      { numRuns: runs(200) },
    );
  });

  it('payloads: target and delegation decoders give a value or a NotaryError', () => {
    fc.assert(
      fc.property(
        fc.oneof(anyBytes(200), mutated(payloads), jsonMutated(payloads), jsonTextTricks(payloads)),
        (b) => {
          const t = parses('decodeTargetPayload', () => decodeTargetPayload(b));
          if (t.ok) {
            const { customValue: _, ...payload } = t.value;
            const again = parses('encodeTargetPayload', () => encodeTargetPayload(payload));
            if (again.ok) expect(decodeTargetPayload(again.value).hashes).toEqual(payload.hashes);
          }
          const d = parses('decodeDelegationPayload', () => decodeDelegationPayload(b));
          if (d.ok) expect(decodeDelegationPayload(encodeDelegationPayload(d.value))).toEqual(d.value);
        },
      ),
      {
        numRuns: runs(400),
        examples: [[Buffer.from('{"add_keys":[{"keytype":"ecdsa","keyval":{"public":"!!"}}]}')]],
      },
    );
  });

  it('--custom data: compacted JSON or a NotaryError', () => {
    fc.assert(
      fc.property(
        fc.oneof(
          anyBytes(100),
          fc.json({ maxDepth: 3 }).map((j) => Buffer.from(j)),
          jsonTextTricks(payloads),
        ),
        (b) => {
          const c = parses('prepareCustom', () => prepareCustom(b));
          if (c.ok) expect(JSON.parse(c.value.toString('utf8'))).toEqual(JSON.parse(b.toString('utf8')));
        },
      ),
      { numRuns: runs(200) },
    );
  });
});

describe('config file (and its trust_pinning section)', () => {
  const dir = mkdtempSync(join(tmpdir(), 'tsnotary-fuzz-config-'));
  afterAll(() => rmSync(dir, { recursive: true, force: true }));
  const file = join(dir, 'config.json');
  const globals: GlobalOptions = { configFile: file, debug: false, verbose: false, output: 'table' };

  const seeds = [
    {
      trust_dir: '~/trust',
      remote_server: { url: 'https://notary.example:4443', root_ca: 'ca.pem', skipTLSVerify: 'true' },
      trust_pinning: {
        certs: { 'example.com/app': ['abc'], 'example.com/*': ['def'] },
        ca: { 'example.com/': '/etc/ca.pem' },
        disable_tofu: true,
      },
      pkcs11: { module: '/usr/lib/softhsm.so', token_label: 'x', backup: false },
    },
    { Trust_Pinning: { CERTS: { constructor: ['x'], __proto__: ['y'] } } },
    {},
  ].map((v) => Buffer.from(JSON.stringify(v)));

  it('any bytes or mutated config: settings or a NotaryError', async () => {
    await fc.assert(
      fc.asyncProperty(
        fc.oneof(anyBytes(200), mutated(seeds), jsonMutated(seeds), jsonTextTricks(seeds)),
        async (b) => {
          writeFileSync(file, b);
          await parsesAsync('config file (resolveSettings)', () =>
            resolveSettings(globals, {}, dir, dir, silentLogger),
          );
        },
      ),
      // V8's syntax error quoted the raw input, line breaks included, into the message
      { numRuns: runs(200), examples: [[Buffer.from('\n\u0000')]] },
    );
  });
});

describe('server error bodies and key JSON', () => {
  const ctx: RequestContext = {
    baseUrl: 'https://notary.example:4443',
    gun: 'example.com/app',
    name: 'targets',
    isRoot: false,
    method: 'POST',
    url: 'https://notary.example:4443/v2/example.com/app/_trust/tuf/',
  };
  const bodies = [
    {
      errors: [
        { code: 'VERSION', message: 'A newer version of metadata is already available', detail: null },
      ],
    },
    {
      errors: [
        {
          code: 'INVALID_UPDATE',
          message: 'Update sent by the client is invalid.',
          detail: { Name: 'ErrBadRoot', Error: { Msg: 'bad root' } },
        },
      ],
    },
    {
      errors: [
        { code: 'UNAUTHORIZED', message: 'authentication required', detail: [{ Type: 'repository' }] },
      ],
    },
  ].map((v) => Buffer.from(`${JSON.stringify(v)}\n`));

  it('statusError: always a NotaryError with a clear message, for any status and body', () => {
    fc.assert(
      fc.property(
        fc.integer({ min: 100, max: 599 }),
        fc.oneof(anyBytes(200), mutated(bodies), jsonMutated(bodies), jsonTextTricks(bodies)),
        fc.boolean(),
        (status, body, isRoot) => {
          parses('parseServerErrors', () => parseServerErrors(body));
          const r = parses('statusError', () => statusError(status, body, { ...ctx, isRoot }));
          expect(r.ok).toBe(true);
          if (r.ok) {
            expect(r.value).toBeInstanceOf(NotaryError);
            checkThrown(r.value);
          }
        },
      ),
      {
        numRuns: runs(300),
        examples: [
          [
            400,
            Buffer.from(
              JSON.stringify({
                errors: [
                  { code: 'X', detail: { Name: 'ErrBadRoot', Error: { Msg: 'line one\n* fatal: forged' } } },
                ],
              }),
            ),
            false,
          ],
          [
            400,
            Buffer.from(JSON.stringify({ errors: [{ code: 'DENIED', message: 'no\n  hint: forged' }] })),
            false,
          ],
        ],
      },
    );
  });

  it('key JSON from the server: a key or a NotaryError', () => {
    const keyBody = fixture('go/server/timestamp.key.json');
    fc.assert(
      fc.property(
        fc.oneof(anyBytes(100), mutated([keyBody]), jsonMutated([keyBody]), jsonTextTricks([keyBody])),
        (b) => {
          parses('parseKeyJson', () => parseKeyJson(b, 'timestamp key', ctx.baseUrl));
        },
      ),
      // V8's syntax error (raw input, line breaks) and a huge key type went into the hint whole
      {
        numRuns: runs(200),
        examples: [[Buffer.from('\r\u0001')], [Buffer.from(JSON.stringify({ keytype: 'x'.repeat(5000) }))]],
      },
    );
  });
});

describe('trust pinning: pinned IDs, CA bundles, TOFU', () => {
  const roots = [
    { gun: 'example.com/fixtures/demo', bytes: fixture('go/server/root.json') },
    { gun: 'example.com/vectors/unicode', bytes: fixture('vectors/metadata/unicode/root.json') },
    { gun: 'example.com/vectors/mixed', bytes: fixture('vectors/metadata/mixed-keytypes/root.json') },
  ].map((r) => ({ gun: r.gun, root: parseMetadata<RootSigned>(r.bytes, 'root') }));
  // The fixture certificates were made on 2026-11-22 for ten years: judge them in that window, by
  // a date derived from nothing but the fixtures (no real clock involved).
  const now = new Date(Date.UTC(2027, 5, 1));
  // Roots whose GUN is the name of an Object.prototype member (a TypeError before), made here
  // with certificates valid at the same `now`.
  beforeAll(async () => {
    for (const gun of ['constructor', '__proto__', 'toString']) {
      const files = await buildRepo({
        gun,
        now,
        root: { key: await rootKey(gun, now) },
        targetsKey: ecdsaKey(),
        snapshotKey: ecdsaKey(),
        timestampKey: ecdsaKey(),
      });
      roots.push({ gun, root: parseMetadata<RootSigned>(files.get('root')!, 'root') });
    }
    rootKeyIds.push(...roots.flatMap((r) => r.root.signed.roles['root']!.keyids));
  });
  const rootKeyIds: string[] = [];
  const byGun = (gun: string) => roots.find((r) => r.gun === gun)!;
  const certPems = [
    fixture('go/certs/delegation-ecdsa.crt'),
    fixture('go/certs/delegation-rsa.crt'),
    fixture('vectors/keyid/rsa-x509-root-imported.crt'),
  ];

  const gunKey = fc.oneof(
    fc.constantFrom(
      ...roots.map((r) => r.gun),
      'example.com/*',
      '*',
      '',
      'constructor',
      '__proto__',
      'toString',
    ),
    fc.string({ maxLength: 12 }),
  );
  // A function: the IDs of the roots built in beforeAll must be known when it is called.
  const pinning = (): fc.Arbitrary<TrustPinning> =>
    fc.record({
      certs: fc.dictionary(
        gunKey,
        fc.array(fc.oneof(fc.constantFrom(...rootKeyIds), fc.string({ maxLength: 8 })), { maxLength: 3 }),
        { maxKeys: 3 },
      ),
      ca: fc.dictionary(gunKey, fc.constantFrom('/ca/a.pem', '/ca/b.pem', '/missing.pem'), { maxKeys: 2 }),
      disableTofu: fc.boolean(),
    });

  it('validateRoot with any pinning and hostile CA bundles: passes or a NotaryError', () => {
    fc.assert(
      fc.property(
        fc.constantFrom(...roots),
        fc.option(fc.constantFrom(...roots), { nil: undefined }),
        pinning(),
        fc.oneof(mutated(certPems, 3), fc.constantFrom(...certPems), anyBytes(100)),
        fc.oneof(fc.constantFrom(...roots.map((r) => r.gun)), gunKey),
        (r, prev, pin, bundle, gun) => {
          const readFile = (p: string): Buffer => {
            if (p === '/missing.pem')
              throw Object.assign(new Error('ENOENT: no such file'), { code: 'ENOENT' });
            return bundle;
          };
          parses('validateRoot', () =>
            validateRoot({
              gun,
              root: r.root,
              prevRoot: prev?.root,
              pinning: pin,
              now,
              log: silentLogger,
              readFile,
            }),
          );
        },
      ),
      {
        numRuns: runs(200),
        examples: [
          [
            byGun('constructor'),
            undefined,
            { certs: {}, ca: {}, disableTofu: false },
            certPems[0]!,
            'constructor',
          ],
          [byGun('toString'), undefined, { certs: {}, ca: {}, disableTofu: true }, certPems[0]!, 'toString'],
        ],
      },
    );
  });

  it('trust_pinning from a config file, then validateRoot', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'tsnotary-fuzz-pinning-'));
    const file = join(dir, 'config.json');
    try {
      await fc.assert(
        fc.asyncProperty(
          fc.record({
            certs: fc.oneof(
              fc.dictionary(
                gunKey,
                fc.oneof(fc.array(fc.constantFrom(...rootKeyIds), { maxLength: 2 }), hostileJsonValue),
                {
                  maxKeys: 3,
                },
              ),
              hostileJsonValue,
            ),
            ca: fc.oneof(
              fc.dictionary(gunKey, fc.oneof(fc.constant('ca.pem'), hostileJsonValue), { maxKeys: 2 }),
              hostileJsonValue,
            ),
            disable_tofu: hostileJsonValue,
          }),
          fc.constantFrom(...roots),
          async (tp, r) => {
            writeFileSync(file, JSON.stringify({ trust_pinning: tp }));
            const s = await parsesAsync('trust_pinning config', () =>
              resolveSettings(
                { configFile: file, debug: false, verbose: false, output: 'table' },
                {},
                dir,
                dir,
                silentLogger,
              ),
            );
            if (!s.ok) return;
            parses('validateRoot', () =>
              validateRoot({
                gun: r.gun,
                root: r.root,
                pinning: s.value.trustPinning,
                now,
                log: silentLogger,
                readFile: () => certPems[0]!,
              }),
            );
          },
        ),
        {
          numRuns: runs(150),
          examples: [
            [{ certs: { constructor: ['x'] }, ca: {}, disable_tofu: false }, byGun('constructor')],
            [{ certs: {}, ca: {}, disable_tofu: true }, byGun('__proto__')],
          ],
        },
      );
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
