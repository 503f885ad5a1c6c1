import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, test } from 'vitest';
import { parseKeyJson } from '../../../src/remote/key-json.js';
import { fixturesDir } from '../../helpers/cli.js';

describe('server key JSON', () => {
  test('the fixture timestamp.key (ed25519, public before private)', () => {
    const raw = readFileSync(join(fixturesDir, 'go', 'server', 'timestamp.key.json'));
    const k = parseKeyJson(raw, 'timestamp key', 'https://s');
    expect(k.keytype).toBe('ed25519');
    expect(k.public.length).toBe(32);
  });

  test('bad keys are a bad response naming what was asked', () => {
    for (const body of [
      'nope',
      '[]',
      '{"keytype":"dsa","keyval":{"public":"AA=="}}',
      '{"keytype":"ecdsa","keyval":{"public":""}}',
      '{"keytype":"ecdsa","keyval":{"public":"%%"}}',
    ]) {
      expect(() => parseKeyJson(Buffer.from(body), 'snapshot key', 'https://s')).toThrow(
        expect.objectContaining({ code: 'BAD_RESPONSE', message: 'trust server returned a bad response.' }),
      );
    }
  });
});
