import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { canonicalIdOf, generateKey } from '../../src/crypto/keygen.js';
import { encodePlainKeyPem } from '../../src/crypto/private-key.js';
import type { TargetsSigned } from '../../src/tuf/types.js';
import { type Ctx, type Scenario, serverJson } from './crash-harness.js';
import { ecKey, selfSignedCert } from './tls.js';

/** init + one published target: the starting point of most scenarios. */
async function publishedRepo(c: Ctx): Promise<void> {
  await c.ts(['init', c.gun]);
  await c.ts(['add', c.gun, 'seed', c.file('seed.txt', 'seed')]);
  await c.ts(['publish', c.gun]);
}

/** Stages one target and publishes; the server must then list every target ever staged. */
function publisher(expected: Set<string>) {
  return async (c: Ctx, name: string) => {
    await c.ts(['add', c.gun, name, c.file(`${name}.txt`, name)]);
    expected.add(name);
    await c.ts(['publish', c.gun]);
    await expectServerTargets(c, expected);
  };
}

async function expectServerTargets(c: Ctx, expected: Set<string>): Promise<void> {
  const targets = await serverJson<TargetsSigned>(c.serverUrl, c.gun, 'targets');
  const have = new Set(Object.keys(targets?.targets ?? {}));
  const missing = [...expected].filter((t) => !have.has(t));
  if (missing.length > 0)
    throw new Error(`targets missing on the server after publish: ${missing.join(', ')}`);
}

/** The ID of the first key file whose `role:` header is `role`. */
function keyIdOfRole(trust: string, role: string): string {
  const dir = join(trust, 'private');
  for (const f of readdirSync(dir).sort()) {
    if (!f.endsWith('.key')) continue;
    if (new RegExp(`^role: ${role.replace('/', '\\/')}$`, 'm').test(readFileSync(join(dir, f), 'latin1'))) {
      return f.slice(0, -4);
    }
  }
  throw new Error(`no ${role} key in ${dir}`);
}

/** A self-signed certificate for delegations (made now; nothing here pins a clock). */
function delegationCert(c: Ctx): string {
  const key = join(c.dir, 'deleg.key');
  const cert = join(c.dir, 'deleg.crt');
  if (!existsSync(cert)) {
    ecKey(key);
    selfSignedCert(key, cert, 30, 'deleg');
  }
  return cert;
}

export function crashScenarios(): Scenario[] {
  const out: Scenario[] = [];

  {
    let gun = '';
    out.push({
      name: 'init',
      async setup() {},
      async command(c) {
        gun = `${c.gun}-${c.seq()}`;
        return ['init', gun];
      },
      async recover(c) {
        // Whatever the kill left: a publish must work (initialising again when needed).
        await c.ts(['publish', gun]);
        await c.ts(['list', gun]);
      },
    });
  }

  {
    const expected = new Set(['seed']);
    const publish = publisher(expected);
    out.push({
      name: 'add',
      setup: publishedRepo,
      async command(c) {
        // Staged by the killed command or not at all; either is fine (the harness checks that
        // the file is whole and that earlier changes survive).
        const n = `add-${c.seq()}`;
        return ['add', c.gun, n, c.file(`${n}.txt`, n)];
      },
      async recover(c) {
        await publish(c, `add-r${c.seq()}`);
      },
    });
  }

  {
    const expected = new Set(['seed']);
    const publish = publisher(expected);
    out.push({
      name: 'publish',
      setup: publishedRepo,
      async command(c) {
        for (let i = 0; i < 2; i++) {
          const n = `pub-${c.seq()}`;
          await c.ts(['add', c.gun, n, c.file(`${n}.txt`, n)]);
          expected.add(n);
        }
        return ['publish', c.gun];
      },
      async recover(c) {
        await publish(c, `pub-r${c.seq()}`);
      },
    });
  }

  for (const [name, args] of [
    ['key rotate targets', ['targets']],
    ['key rotate snapshot -r', ['snapshot', '-r']],
  ] as const) {
    const expected = new Set(['seed']);
    const publish = publisher(expected);
    out.push({
      name,
      setup: publishedRepo,
      async command(c) {
        return ['key', 'rotate', c.gun, ...args];
      },
      async recover(c) {
        await publish(c, `rot-${c.seq()}`);
      },
    });
  }

  out.push({
    name: 'key generate',
    async setup() {},
    async command() {
      return ['key', 'generate', 'ecdsa'];
    },
    async recover(c) {
      await c.ts(['key', 'generate', 'ecdsa']);
      await c.ts(['key', 'list']);
    },
  });

  {
    let file = '';
    let id = '';
    out.push({
      name: 'key import',
      async setup() {},
      async command(c) {
        const key = generateKey('ecdsa');
        id = canonicalIdOf(key);
        file = c.file(`import-${c.seq()}.pem`, encodePlainKeyPem(key, {}));
        return ['key', 'import', file, '--role', 'delegation'];
      },
      async recover(c) {
        await c.ts(['key', 'import', file, '--role', 'delegation']);
        if (!existsSync(join(c.trust, 'private', `${id}.key`))) throw new Error(`imported key ${id} missing`);
      },
    });
  }

  {
    const expected = new Set(['seed']);
    const publish = publisher(expected);
    out.push({
      name: 'delegation add',
      setup: publishedRepo,
      async command(c) {
        return ['delegation', 'add', c.gun, `targets/d${c.seq()}`, delegationCert(c), '--all-paths'];
      },
      async recover(c) {
        await c.ts(['delegation', 'add', c.gun, `targets/r${c.seq()}`, delegationCert(c), '--all-paths']);
        await publish(c, `del-${c.seq()}`);
      },
    });
  }

  {
    const expected = new Set(['seed']);
    const publish = publisher(expected);
    out.push({
      name: 'key passwd',
      setup: publishedRepo,
      async command(c) {
        return ['key', 'passwd', keyIdOfRole(c.trust, 'targets')];
      },
      async recover(c) {
        // The targets key must still open: sign and publish with it.
        await publish(c, `pw-${c.seq()}`);
      },
    });
  }

  return out;
}
