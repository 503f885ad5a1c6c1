/** PKCS#11 settings beyond the module path: token label and the backup opt-out (docs/pkcs11.md). */
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { resolveSettings } from '../../../src/cli/config.js';
import type { GlobalOptions } from '../../../src/cli/context.js';

const base: GlobalOptions = { debug: false, verbose: false, output: 'table' };

function withConfig(pkcs11: unknown): { globals: GlobalOptions; dir: string } {
  const dir = mkdtempSync(join(tmpdir(), 'tsnotary-cfg-p11-'));
  const cfg = join(dir, 'config.json');
  writeFileSync(cfg, JSON.stringify({ pkcs11 }));
  return { globals: { ...base, configFile: cfg }, dir };
}

describe('pkcs11 settings', () => {
  it('backup: unset by default (callers default to true, as Go)', async () => {
    const { globals, dir } = withConfig({ module: '/m.so' });
    const s = await resolveSettings(globals, {}, '/', dir);
    expect(s.pkcs11Backup).toBeUndefined();
    expect(s.pkcs11TokenLabel).toBeUndefined();
  });

  it('backup: config false/true, env NOTARY_PKCS11_NO_BACKUP wins', async () => {
    const off = withConfig({ backup: false });
    expect((await resolveSettings(off.globals, {}, '/', off.dir)).pkcs11Backup).toBe(false);
    const on = withConfig({ backup: true });
    expect((await resolveSettings(on.globals, {}, '/', on.dir)).pkcs11Backup).toBe(true);
    expect(
      (await resolveSettings(on.globals, { NOTARY_PKCS11_NO_BACKUP: '1' }, '/', on.dir)).pkcs11Backup,
    ).toBe(false);
    expect(
      (await resolveSettings(off.globals, { NOTARY_PKCS11_NO_BACKUP: 'false' }, '/', off.dir)).pkcs11Backup,
    ).toBe(true);
  });

  it('token label: env over config', async () => {
    const { globals, dir } = withConfig({ token_label: 'cfg-label' });
    expect((await resolveSettings(globals, {}, '/', dir)).pkcs11TokenLabel).toBe('cfg-label');
    expect(
      (await resolveSettings(globals, { NOTARY_PKCS11_TOKEN_LABEL: 'env-label' }, '/', dir)).pkcs11TokenLabel,
    ).toBe('env-label');
  });
});
