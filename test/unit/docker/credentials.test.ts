/** Registry credentials resolved from config.json the way docker does (helpers injected here). */
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { readDockerConfigFile } from '../../../src/docker/config.js';
import { type HelperRunner, resolveRegistryAuth } from '../../../src/docker/credentials.js';
import { parseImageReference } from '../../../src/docker/reference.js';

function config(json: unknown) {
  const dir = mkdtempSync(join(tmpdir(), 'tsnotary-dcfg-'));
  writeFileSync(join(dir, 'config.json'), JSON.stringify(json));
  return readDockerConfigFile(dir);
}

const calls: string[] = [];
const helper: HelperRunner = async (name, server) => {
  calls.push(`${name} ${server}`);
  return { username: `${name}-user`, password: 'secret', source: name };
};

describe('resolveRegistryAuth', () => {
  const ref = parseImageReference('registry.example.com:5000/org/app:1');

  it('auths: base64 user:password, matched by host name as docker does', async () => {
    const auth = Buffer.from('alice:pa:ss').toString('base64');
    for (const key of [
      'registry.example.com:5000',
      'https://registry.example.com:5000/v2/',
      'http://registry.example.com:5000',
    ]) {
      const a = await resolveRegistryAuth(config({ auths: { [key]: { auth } } }), ref, helper);
      expect(a).toMatchObject({ username: 'alice', password: 'pa:ss' });
    }
    expect(
      await resolveRegistryAuth(config({ auths: { 'other:5000': { auth } } }), ref, helper),
    ).toBeUndefined();
  });

  it('credHelpers before credsStore before auths; Docker Hub uses its v1 key', async () => {
    calls.length = 0;
    const both = config({
      credHelpers: { 'registry.example.com:5000': 'pass' },
      credsStore: 'desktop',
      auths: { 'registry.example.com:5000': { auth: Buffer.from('a:b').toString('base64') } },
    });
    expect((await resolveRegistryAuth(both, ref, helper))?.username).toBe('pass-user');
    const store = config({ credsStore: 'desktop' });
    expect((await resolveRegistryAuth(store, parseImageReference('alpine'), helper))?.username).toBe(
      'desktop-user',
    );
    expect(calls).toEqual(['pass registry.example.com:5000', 'desktop https://index.docker.io/v1/']);
  });

  it('an identity token is kept; a broken auth value is a clear error', async () => {
    const a = await resolveRegistryAuth(
      config({ auths: { 'registry.example.com:5000': { identitytoken: 'tok' } } }),
      ref,
      helper,
    );
    expect(a).toMatchObject({ username: '', identityToken: 'tok' });
    await expect(
      resolveRegistryAuth(
        config({ auths: { 'registry.example.com:5000': { auth: 'bm9jb2xvbg==' } } }),
        ref,
        helper,
      ),
    ).rejects.toThrow('invalid auth configuration file');
  });
});
