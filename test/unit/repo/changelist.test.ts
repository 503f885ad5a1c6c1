import { createHash } from 'node:crypto';
import {
  mkdirSync,
  mkdtempSync,
  readdirSync,
  readFileSync,
  statSync,
  utimesSync,
  writeFileSync,
} from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { isNotaryError } from '../../../src/errors.js';
import type { Logger } from '../../../src/log.js';
import {
  Changelist,
  CORRUPT_DIR,
  changeFileName,
  decodeDelegationPayload,
  decodeTargetPayload,
  delegationChange,
  delegationDeleteChange,
  encodeDelegationPayload,
  encodeTargetPayload,
  parseChange,
  prepareCustom,
  purgeKeysChange,
  serializeChange,
  targetCreateChange,
  targetDeleteChange,
  witnessChange,
} from '../../../src/repo/changelist.js';
import { goJsonString, scanGoJson } from '../../../src/repo/go-json.js';
import { fixturesDir } from '../../helpers/cli.js';

const vectorsDir = join(fixturesDir, 'vectors', 'changelist');
const vector = (name: string) => readFileSync(join(vectorsDir, name));
const vectorFiles = readdirSync(vectorsDir).filter((f) => f.endsWith('.change'));

function memLog(): Logger & { lines: string[] } {
  const lines: string[] = [];
  return {
    lines,
    error: (m) => lines.push(`error: ${m}`),
    warn: (m) => lines.push(`warn: ${m}`),
    info: () => {},
    debug: () => {},
  };
}

const tmp = (p = 'tsn-cl-') => mkdtempSync(join(tmpdir(), p));
const sha = (alg: string, b: Buffer) => createHash(alg).update(b).digest();

describe('change file format (vectors from Go)', () => {
  it('has the 13 vectors', () => {
    expect(vectorFiles.length).toBe(13);
  });
  for (const f of vectorFiles) {
    it(`round-trips ${f} byte for byte`, () => {
      const bytes = vector(f);
      const change = parseChange(bytes);
      expect(serializeChange(change).equals(bytes)).toBe(true);
    });
  }

  it('builds 01-create-target from scratch', () => {
    const file = Buffer.from('hello\n');
    const c = targetCreateChange('targets', 'dir/file<1>', {
      length: file.length,
      hashes: { sha512: sha('sha512', file), sha256: sha('sha256', file) },
    });
    expect(serializeChange(c).equals(vector('01-create-target.change'))).toBe(true);
  });

  it('builds 02-create-target-custom from a pretty-printed custom file', () => {
    const file = Buffer.from('hello\n');
    const custom = prepareCustom(Buffer.from('{\n  "build": 42,\n  "channel": "stable"\n}\n'));
    const c = targetCreateChange('targets', 'with-custom', {
      length: 6,
      hashes: { sha256: sha('sha256', file), sha512: sha('sha512', file) },
      custom,
    });
    expect(serializeChange(c).equals(vector('02-create-target-custom.change'))).toBe(true);
  });

  it('builds 03 (addhash, sha256 only) and 04 (delete) and 05 (delegation target)', () => {
    const v3 = parseChange(vector('03-create-target-addhash-sha256-only.change'));
    const p3 = decodeTargetPayload(v3.data!);
    expect(Object.keys(p3.hashes)).toEqual(['sha256']);
    expect(
      serializeChange(targetCreateChange('targets', 'by-hash', p3)).equals(
        vector('03-create-target-addhash-sha256-only.change'),
      ),
    ).toBe(true);
    expect(
      serializeChange(targetDeleteChange('targets', 'dir/file')).equals(vector('04-delete-target.change')),
    ).toBe(true);
    const file = Buffer.from('hello\n');
    const c5 = targetCreateChange('targets/releases', 'rel-target', {
      length: 6,
      hashes: { sha256: sha('sha256', file), sha512: sha('sha512', file) },
    });
    expect(serializeChange(c5).equals(vector('05-create-target-in-delegation.change'))).toBe(true);
  });

  it('builds the delegation, purge and witness vectors', () => {
    const v6 = parseChange(vector('06-delegation-create-keys.change'));
    const d6 = decodeDelegationPayload(v6.data!);
    expect(d6.threshold).toBe(1);
    expect(d6.addKeys?.[0]?.keytype).toBe('ecdsa-x509');
    expect(d6.addKeys?.[0]?.public.toString()).toMatch(/^-----BEGIN CERTIFICATE-----/);
    expect(encodeDelegationPayload(d6).equals(v6.data!)).toBe(true);
    expect(
      serializeChange(delegationChange('create', 'targets/releases', d6)).equals(
        vector('06-delegation-create-keys.change'),
      ),
    ).toBe(true);
    expect(
      serializeChange(delegationChange('create', 'targets/releases', { addPaths: ['a/', 'b/'] })).equals(
        vector('07-delegation-create-paths.change'),
      ),
    ).toBe(true);
    expect(
      serializeChange(delegationChange('update', 'targets/releases', { removePaths: ['a/'] })).equals(
        vector('08-delegation-update-remove-paths.change'),
      ),
    ).toBe(true);
    const keyId = '6c130072e300c9f7701e8353c5dddf6b2205a98064c79a707dcdcbdfa00c1188';
    expect(
      serializeChange(delegationChange('update', 'targets/releases', { removeKeys: [keyId] })).equals(
        vector('09-delegation-update-remove-keys.change'),
      ),
    ).toBe(true);
    expect(
      serializeChange(delegationChange('update', 'targets/releases', { clearPaths: true })).equals(
        vector('10-delegation-update-clear-paths.change'),
      ),
    ).toBe(true);
    expect(
      serializeChange(delegationDeleteChange('targets/releases')).equals(
        vector('11-delegation-delete.change'),
      ),
    ).toBe(true);
    expect(
      serializeChange(purgeKeysChange([keyId])).equals(vector('12-delegation-purge-wildcard.change')),
    ).toBe(true);
    expect(serializeChange(witnessChange('targets')).equals(vector('13-witness.change'))).toBe(true);
  });

  it('writes TUFDelegation fields in Go struct order, omitting empty ones', () => {
    const all = encodeDelegationPayload({
      clearPaths: true,
      removePaths: ['r'],
      addPaths: [''],
      removeKeys: ['k'],
      addKeys: [{ keytype: 'ecdsa', public: Buffer.from([1, 2]) }],
      threshold: 1,
      newName: 'targets/n',
    }).toString();
    expect(all).toBe(
      '{"new_name":"targets/n","threshold":1,"add_keys":[{"keytype":"ecdsa","keyval":{"public":"AQI=","private":null}}],' +
        '"remove_keys":["k"],"add_paths":[""],"remove_paths":["r"],"clear_paths":true}',
    );
    expect(encodeDelegationPayload({ addPaths: [], removeKeys: [] }).toString()).toBe('{}');
  });
});

describe('Go encoding/json strings', () => {
  it('escapes like Go 1.19 (HTML, control characters, U+2028/9, lone surrogates)', () => {
    expect(goJsonString('a\bb\u0001c\u007fd<&>\u2028\u2029é\t\n\r"\\/')).toBe(
      '"a\\u0008b\\u0001c\u007fd\\u003c\\u0026\\u003e\\u2028\\u2029é\\t\\n\\r\\"\\\\/"',
    );
    expect(goJsonString('x\uD800y')).toBe('"x\\ufffdy"');
    expect(goJsonString('😀')).toBe('"😀"');
  });
  it('serialises a change with an odd target name as Go did', () => {
    // bytes captured from `notary add` with this target name (Go 1.19 build)
    const c = targetDeleteChange('targets', 'a\bb\u0001c\u007fd<&>\u2028é\t');
    expect(serializeChange(c).toString()).toBe(
      '{"action":"delete","role":"targets","type":"target","path":"a\\u0008b\\u0001c\u007fd\\u003c\\u0026\\u003e\\u2028é\\t","data":null}',
    );
  });
});

describe('custom data (Go compact + integer check)', () => {
  it('compacts and HTML-escapes without reordering or decoding', () => {
    const out = prepareCustom(Buffer.from('{"b":1,\n "a":[2, "<x>", "\\u00e9\\/"], "u":"\u2028"}\n', 'utf8'));
    expect(out.toString()).toBe('{"b":1,"a":[2,"\\u003cx\\u003e","\\u00e9\\/"],"u":"\\u2028"}');
    expect(prepareCustom(Buffer.from('  {}  \n\n')).toString()).toBe('{}');
    expect(prepareCustom(Buffer.from('null')).toString()).toBe('null');
    expect(prepareCustom(Buffer.from('[1, 2.0, 1e2]')).toString()).toBe('[1,2.0,1e2]');
  });
  it('rejects invalid JSON with Go scanner messages', () => {
    const msg = (s: string) => {
      try {
        prepareCustom(Buffer.from(s));
      } catch (e) {
        expect(isNotaryError(e, 'INVALID_INPUT')).toBe(true);
        return (e as Error).message.replace(
          'json: error calling MarshalJSON for type *json.RawMessage: ',
          '',
        );
      }
      return 'accepted';
    };
    expect(msg('nope')).toBe("invalid character 'o' in literal null (expecting 'u')");
    expect(msg('')).toBe('unexpected end of JSON input');
    expect(msg('\n')).toBe('unexpected end of JSON input');
    expect(msg('{"a" 1}')).toBe("invalid character '1' after object key");
    expect(msg('{"a":1 "b"}')).toBe(`invalid character '"' after object key:value pair`);
    expect(msg('[1 2]')).toBe("invalid character '2' after array element");
    expect(msg('{1}')).toBe("invalid character '1' looking for beginning of object key string");
    expect(msg('{} x')).toBe("invalid character 'x' after top-level value");
    expect(msg('"a\tb"')).toBe("invalid character '\\t' in string literal");
    expect(msg('"\\q"')).toBe("invalid character 'q' in string escape code");
    expect(msg('"\\u12g4"')).toBe("invalid character 'g' in \\u hexadecimal character escape");
    expect(msg('-x')).toBe("invalid character 'x' in numeric literal");
    expect(msg('1.x')).toBe("invalid character 'x' after decimal point in numeric literal");
    expect(msg('1ex')).toBe("invalid character 'x' in exponent of numeric literal");
    expect(msg("'a'")).toBe("invalid character '\\'' looking for beginning of value");
    expect(msg('[1,]')).toBe("invalid character ']' looking for beginning of value");
    expect(msg('{"a":')).toBe('unexpected end of JSON input');
  });
  it('rejects non-integral numbers early (they can never verify)', () => {
    for (const s of ['1.5', '{"a":[1,0.1]}', '1e-1', '1e400']) {
      expect(() => prepareCustom(Buffer.from(s)), s).toThrow(/not a whole number/);
    }
  });
  it('scanGoJson reports top-level member spans', () => {
    const src = Buffer.from('{"length":6, "custom" : {"a": [1]} }');
    const span = scanGoJson(src).members.get('custom')!;
    expect(src.subarray(span.start, span.end).toString()).toBe('{"a": [1]}');
  });
  it('decodes target payloads (custom kept raw, null custom = none)', () => {
    const p = decodeTargetPayload(
      Buffer.from('{"length":3,"hashes":{"sha256":"AQI="},"custom":{"z":1,"a":2}}'),
    );
    expect(p.length).toBe(3);
    expect(p.hashes['sha256']).toEqual(Buffer.from([1, 2]));
    expect(p.custom?.toString()).toBe('{"z":1,"a":2}');
    expect(p.customValue).toEqual({ z: 1, a: 2 });
    expect(decodeTargetPayload(Buffer.from('{"length":3,"hashes":{},"custom":null}')).custom).toBeUndefined();
    expect(encodeTargetPayload(p).toString()).toBe(
      '{"length":3,"hashes":{"sha256":"AQI="},"custom":{"z":1,"a":2}}',
    );
  });
});

describe('parseChange (Go json.Unmarshal semantics)', () => {
  it('matches field names case-insensitively and ignores unknown fields', () => {
    const c = parseChange(
      Buffer.from('{"ACTION":"create","Role":"targets","type":"target","path":"x","extra":1}'),
    );
    expect(c).toEqual({ action: 'create', role: 'targets', type: 'target', path: 'x', data: null });
  });
  it('reports Go errors', () => {
    expect(() => parseChange(Buffer.alloc(0))).toThrow('unexpected end of JSON input');
    expect(() => parseChange(Buffer.from('{"action":5}'))).toThrow(
      'json: cannot unmarshal number into Go struct field TUFChange.action of type string',
    );
    expect(() =>
      parseChange(Buffer.from('{"action":"create","role":"targets","type":"target","data":"!!"}')),
    ).toThrow('illegal base64 data at input byte 0');
    expect(() => parseChange(Buffer.from('garbage'))).toThrow(
      "invalid character 'g' looking for beginning of value",
    );
    expect(() => parseChange(Buffer.from('[]'))).toThrow('cannot unmarshal array');
    expect(() => parseChange(Buffer.from('null'))).toThrow(/not a change/);
  });
});

describe('Changelist directory', () => {
  it('names files %020d_<uuid>.change, strictly increasing, mode 0600 in a 0700 dir', async () => {
    const dir = join(tmp(), 'tuf', 'g', 'changelist');
    let t = 5n;
    const cl = new Changelist(dir, { log: memLog(), now: () => t });
    const a = await cl.stage(witnessChange('targets'));
    const b = await cl.stage(witnessChange('targets/a')); // same clock value
    t = 1n; // clock went backwards
    const c = await cl.stage(witnessChange('targets/b'));
    expect(a).toMatch(/^\d{20}_[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}\.change$/);
    expect([a, b, c]).toEqual([a, b, c].slice().sort());
    expect(new Set([a, b, c]).size).toBe(3);
    expect(statSync(join(dir, a)).mode & 0o777).toBe(0o600);
    expect(statSync(dir).mode & 0o777).toBe(0o700);
    expect((await cl.list()).map((x) => x.role)).toEqual(['targets', 'targets/a', 'targets/b']);
    // the temp-file directory is not a change
    expect(readdirSync(dir).filter((n) => !n.endsWith('.change'))).toEqual(['.staging']);
    expect(changeFileName(1795312711088698187n, 'u')).toBe('01795312711088698187_u.change');
  });

  it('list() of a missing directory is empty', async () => {
    expect(await new Changelist(join(tmp(), 'nope'), { log: memLog() }).list()).toEqual([]);
  });

  it('sets unparseable files aside (after the grace period) and never blocks the others', async () => {
    const dir = join(tmp(), 'changelist');
    const log = memLog();
    // The clock is pinned and every file's mtime is set against it: the subject is the age.
    const now = Date.parse('2026-11-23T00:00:00Z');
    const cl = new Changelist(dir, { log, nowMs: () => now });
    const at = (name: string, ms: number) => utimesSync(join(dir, name), new Date(ms), new Date(ms));
    await cl.stage(targetDeleteChange('targets', 'a'));
    writeFileSync(join(dir, '00000000000000000000_empty.change'), '');
    writeFileSync(join(dir, '00000000000000000001_bad.change'), '{"action":5}');
    at('00000000000000000000_empty.change', now - 3600_000);
    at('00000000000000000001_bad.change', now - 1000);
    mkdirSync(join(dir, 'subdir'));
    const listed = await cl.list();
    // the old empty file was moved away; the young bad one is only skipped (it may be mid-write)
    expect(listed.map((c) => [c.index, c.path])).toEqual([[1, 'a']]);
    expect(readdirSync(join(dir, CORRUPT_DIR))).toEqual(['00000000000000000000_empty.change']);
    expect(log.lines.join('\n')).toMatch(
      /00000000000000000000_empty\.change.*unexpected end of JSON input.*moved to/,
    );
    expect(log.lines.join('\n')).toMatch(
      /skipping unreadable change file .*00000000000000000001_bad\.change: json: cannot unmarshal number/,
    );
    // once old, the second one goes too, and numbering is dense again (as Go would count)
    at('00000000000000000001_bad.change', now - 3600_000);
    expect((await cl.list()).map((c) => [c.index, c.path])).toEqual([[0, 'a']]);
    expect(readdirSync(join(dir, CORRUPT_DIR)).sort()).toHaveLength(2);
  });

  it("a file just written is within the grace period (compared against the file system's clock)", async () => {
    // The mtime comes from the file system and so does "now" (a probe file's mtime): the product
    // compares Date.now() instead, which agrees on a real machine but not under libfaketime.
    const dir = join(tmp(), 'changelist');
    const log = memLog();
    const fsNow = () => {
      const probe = join(dir, '..', 'probe');
      writeFileSync(probe, '');
      return statSync(probe).mtimeMs;
    };
    const cl = new Changelist(dir, { log, nowMs: fsNow });
    await cl.stage(targetDeleteChange('targets', 'a'));
    writeFileSync(join(dir, '00000000000000000001_bad.change'), '');
    // skipped but kept in place: it still counts for the numbering
    expect((await cl.list()).map((c) => [c.index, c.path])).toEqual([[1, 'a']]);
    expect(readdirSync(dir).filter((n) => n.endsWith('.change'))).toHaveLength(2);
    expect(log.lines.join('\n')).toMatch(
      /skipping unreadable change file .*00000000000000000001_bad\.change/,
    );
  });

  it('removeIndices counts every non-directory entry (Go reset -n), ignores out of range', async () => {
    const dir = join(tmp(), 'changelist');
    const cl = new Changelist(dir, { log: memLog(), corruptGraceMs: 1e12 });
    for (const n of ['a', 'b', 'c', 'd']) await cl.stage(targetDeleteChange('targets', n));
    writeFileSync(join(dir, '00000000000000000000_junk.change'), 'x'); // index 0, skipped by list
    expect((await cl.list()).map((c) => [c.index, c.path])).toEqual([
      [1, 'a'],
      [2, 'b'],
      [3, 'c'],
      [4, 'd'],
    ]);
    await cl.removeIndices([2, 4, 99, -1, 2]);
    expect((await cl.list()).map((c) => c.path)).toEqual(['a', 'c']);
    await cl.removeIndices([0]);
    expect(readdirSync(dir).filter((n) => n.includes('junk'))).toEqual([]);
  });

  it('removeFiles removes exactly the applied changes; clear() removes all but set-aside files', async () => {
    const dir = join(tmp(), 'changelist');
    const cl = new Changelist(dir, { log: memLog() });
    await cl.stage(targetDeleteChange('targets', 'a'));
    const applied = (await cl.list()).map((c) => c.file);
    await cl.stage(targetDeleteChange('targets', 'staged-during-publish'));
    await cl.removeFiles([...applied, 'already-gone.change']);
    expect((await cl.list()).map((c) => c.path)).toEqual(['staged-during-publish']);
    mkdirSync(join(dir, CORRUPT_DIR));
    writeFileSync(join(dir, CORRUPT_DIR, 'x.change'), '');
    await cl.clear();
    expect(await cl.list()).toEqual([]);
    expect(readdirSync(join(dir, CORRUPT_DIR))).toEqual(['x.change']);
  });
});

describe('errors', () => {
  it('encodeTargetPayload refuses negative lengths', () => {
    expect(() => encodeTargetPayload({ length: -1, hashes: {} })).toThrow(/invalid target length/);
  });
});
