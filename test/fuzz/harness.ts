/**
 * Shared parts of the parser fuzz tests (issue 9 part 4).
 *
 * The invariant every parser of outside input must keep: it returns a value, or it throws a
 * NotaryError with a clear message — never a TypeError/RangeError/plain Error, never a hang,
 * never unbounded memory (inputs are bounded here, and parsers bound what they allocate).
 *
 * Case counts: each property has a CI count (`runs(n)`); `FUZZ_RUNS=N` scales every property so
 * that a property whose CI count is 200 runs N cases (cheaper or costlier ones in proportion).
 * Seeds are NOT fixed: each run explores new inputs, and fast-check prints the seed and path of a
 * failure so it can be replayed (`fc.assert(..., { seed, path })`).
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import fc from 'fast-check';
import { afterAll } from 'vitest';
import { NotaryError } from '../../src/errors.js';

/** The CI count that FUZZ_RUNS replaces. */
const REFERENCE_RUNS = 200;

const scale = (() => {
  const raw = process.env['FUZZ_RUNS'];
  if (raw === undefined || raw === '') return 1;
  const n = Number(raw);
  if (!Number.isFinite(n) || n <= 0) throw new Error(`FUZZ_RUNS must be a positive number, got ${raw}`);
  return n / REFERENCE_RUNS;
})();

/** numRuns for a property whose CI count is `ciCount`. */
export function runs(ciCount: number): number {
  return Math.max(1, Math.round(ciCount * scale));
}

/** Repository-local fixtures (tests never write into them). */
export const FIXTURES = join(import.meta.dirname, '../../fixtures');

export function fixture(...parts: string[]): Buffer {
  return readFileSync(join(FIXTURES, ...parts));
}

/** A thrown value breaks the invariant unless it is a NotaryError with a clear message. */
export function checkThrown(e: unknown): void {
  if (!(e instanceof NotaryError)) {
    const name = e instanceof Error ? e.constructor.name : typeof e;
    const err = new Error(`parser threw ${name} instead of a NotaryError: ${String(e)}`);
    (err as Error & { cause: unknown }).cause = e;
    throw err;
  }
  const m = e.message;
  if (m.length === 0) throw new Error('NotaryError with an empty message');
  if (m.length > MAX_MESSAGE) {
    throw new Error(
      `NotaryError message of ${m.length} characters (over ${MAX_MESSAGE}): ${m.slice(0, 200)}…`,
    );
  }
  if (/\[object Object\]|\bundefined\b|\bNaN\b/.test(m)) throw new Error(`unclear NotaryError message: ${m}`);
  // The CLI prints the message as one line (then a `hint:` line): raw line breaks would forge lines.
  if (/[\n\r]/.test(m))
    throw new Error(`NotaryError message with a line break: ${JSON.stringify(m.slice(0, 300))}`);
  // The hint is printed as one `hint:` line too. (Its length is not bounded here: a hint may
  // echo the user's own setting, such as a CA file path from the config file.)
  const h = e.hint;
  if (h !== undefined && /[\n\r]/.test(h)) {
    throw new Error(`NotaryError hint with a line break: ${JSON.stringify(h.slice(0, 300))}`);
  }
}

/**
 * Messages may quote the offending input (a target name, a key ID), but a parser must not paste a
 * whole hostile document into one: the bound is generous next to any honest message.
 */
export const MAX_MESSAGE = 1000;

/** A case taking longer than this is a hang for our purposes (generous: the machine is shared). */
const SLOW_CASE_MS = 10_000;

const counts = new Map<string, number>();

/** Counts one case for `parser` (for properties that check their own invariant). */
export function count(parser: string): void {
  counts.set(parser, (counts.get(parser) ?? 0) + 1);
}

export type Outcome<T> = { ok: true; value: T } | { ok: false; error: NotaryError };

function judge<T>(parser: string, start: number, run: () => Outcome<T>): Outcome<T> {
  const outcome = run();
  const ms = performance.now() - start;
  if (ms > SLOW_CASE_MS) throw new Error(`${parser} took ${Math.round(ms)} ms on one input`);
  return outcome;
}

function refused(e: unknown): { ok: false; error: NotaryError } {
  checkThrown(e);
  return { ok: false, error: e as NotaryError };
}

/**
 * Runs `parse` on one input and checks the invariant. Returns the value (or the NotaryError the
 * parser refused the input with) so properties can go on to round-trip it.
 */
export function parses<T>(parser: string, parse: () => T): Outcome<T> {
  count(parser);
  return judge(parser, performance.now(), () => {
    try {
      return { ok: true, value: parse() };
    } catch (e) {
      return refused(e);
    }
  });
}

/** Async form of `parses`. */
export async function parsesAsync<T>(parser: string, parse: () => Promise<T>): Promise<Outcome<T>> {
  count(parser);
  const start = performance.now();
  let outcome: Outcome<T>;
  try {
    outcome = { ok: true, value: await parse() };
  } catch (e) {
    outcome = refused(e);
  }
  return judge(parser, start, () => outcome);
}

/** Prints how many cases each parser met in this file (the report the issue asks for). */
export function reportCounts(file: string): void {
  afterAll(() => {
    const lines = [...counts].map(([p, n]) => `  ${p}: ${n}`).join('\n');
    // One block per file; quiet enough for CI logs, and the numbers the issue asks for.
    console.log(`fuzz cases (${file}${scale !== 1 ? `, FUZZ_RUNS scale ×${scale}` : ''}):\n${lines}`);
  });
}

// ---- generators ----

/** Bytes with a bias towards what parsers look at: JSON punctuation, PEM and DER markers. */
export const interestingByte = fc.oneof(
  fc.integer({ min: 0, max: 255 }),
  fc.constantFrom(
    ...[...'{}[]":,\\-0123456789eE.+ntfu\n\r\t =/'].map((c) => c.charCodeAt(0)),
    0x00,
    0x30,
    0x02,
    0x04,
    0x06,
    0x80,
    0x81,
    0x82,
    0x84,
    0xff,
    0xc0,
    0xed,
    0xf4,
  ),
);

/** One edit of a byte string: flip, overwrite, insert, delete, truncate, duplicate a slice. */
interface EditSpec {
  kind: 'flip' | 'set' | 'insert' | 'delete' | 'truncate' | 'repeat';
  /** where, as a fraction of the length */
  pos: number;
  /** slice length for `repeat`, as a fraction of 64 bytes */
  pos2: number;
  bytes: number[];
  n: number;
}

const position = fc.double({ min: 0, max: 1, noNaN: true, maxExcluded: true });

const edit: fc.Arbitrary<EditSpec> = fc.record({
  kind: fc.constantFrom<EditSpec['kind']>('flip', 'set', 'insert', 'delete', 'truncate', 'repeat'),
  pos: position,
  pos2: position,
  bytes: fc.array(interestingByte, { minLength: 1, maxLength: 8 }),
  n: fc.integer({ min: 0, max: 7 }),
});

function applyEdit(b: Buffer, e: EditSpec): Buffer {
  const at = Math.floor(e.pos * (b.length + 1));
  switch (e.kind) {
    case 'flip': {
      if (b.length === 0) return b;
      const i = Math.min(at, b.length - 1);
      const out = Buffer.from(b);
      out[i] = out[i]! ^ (1 << e.n);
      return out;
    }
    case 'set': {
      if (b.length === 0) return b;
      const i = Math.min(at, b.length - 1);
      const out = Buffer.from(b);
      out[i] = e.bytes[0]!;
      return out;
    }
    case 'insert':
      return Buffer.concat([b.subarray(0, at), Buffer.from(e.bytes), b.subarray(at)]);
    case 'delete':
      return Buffer.concat([b.subarray(0, at), b.subarray(at + 1 + e.n * 4)]);
    case 'truncate':
      return b.subarray(0, at);
    case 'repeat': {
      const len = Math.max(1, Math.floor(e.pos2 * 64));
      const slice = b.subarray(at, at + len);
      return Buffer.concat([b.subarray(0, at), ...Array(e.n + 1).fill(slice), b.subarray(at)]);
    }
  }
}

/** A valid document with 1–`maxEdits` byte-level edits (the classic mutational fuzzer). */
export function mutated(seeds: readonly Buffer[], maxEdits = 4): fc.Arbitrary<Buffer> {
  return fc
    .tuple(fc.constantFrom(...seeds), fc.array(edit, { minLength: 1, maxLength: maxEdits }))
    .map(([seed, edits]) => edits.reduce(applyEdit, seed));
}

/** Arbitrary bytes, bounded. */
export const anyBytes = (maxLength = 512) => fc.uint8Array({ maxLength }).map((u) => Buffer.from(u));

/** A JSON value with the shapes that break typed readers. */
export const hostileJsonValue: fc.Arbitrary<unknown> = fc.oneof(
  { depthSize: 'small' },
  fc.constantFrom(
    null,
    true,
    false,
    0,
    -1,
    1.5,
    -0,
    2 ** 53,
    2 ** 63,
    1e308,
    -1e308,
    '',
    '__proto__',
    'constructor',
    'toString',
    '\u0000',
    '\ud800',
    'AAAA',
    '====',
    'not base64!',
    '2029-02-30T00:00:00Z',
    '9999-12-31T23:59:59.999999999+23:59',
  ),
  fc.string({ maxLength: 20 }),
  // large values: error messages must not paste them whole
  fc.constant('x'.repeat(5000)),
  fc.constant(Array.from({ length: 2000 }, (_, i) => i)),
  fc.integer(),
  fc.double(),
  fc.array(fc.constantFrom(null, 1, 'a', {}), { maxLength: 3 }),
  fc.dictionary(fc.constantFrom('a', '__proto__', 'keyids', 'length'), fc.constantFrom(null, 1, 'x', []), {
    maxKeys: 3,
  }),
);

/** Every [path, parent] in a JSON tree (objects and arrays), for structure-aware mutation. */
function containers(v: unknown, out: Array<Record<string, unknown> | unknown[]> = []): typeof out {
  if (v !== null && typeof v === 'object') {
    out.push(v as Record<string, unknown>);
    for (const child of Object.values(v as object)) containers(child, out);
  }
  return out;
}

export type JsonMutation =
  | { kind: 'set'; pick: number; key: number; value: unknown }
  | { kind: 'delete'; pick: number; key: number }
  | { kind: 'add'; pick: number; name: string; value: unknown }
  | { kind: 'nest'; pick: number; key: number; depth: number };

export const jsonMutation: fc.Arbitrary<JsonMutation> = fc.oneof(
  fc.record({ kind: fc.constant('set' as const), pick: position, key: position, value: hostileJsonValue }),
  fc.record({ kind: fc.constant('delete' as const), pick: position, key: position }),
  fc.record({
    kind: fc.constant('add' as const),
    pick: position,
    name: fc.oneof(
      fc.constantFrom('_TYPE', 'Version', 'EXPIRES', 'Signed', 'keyIDs', 'Threshold', '__proto__', 'hashes'),
      fc.string({ maxLength: 8 }),
    ),
    value: hostileJsonValue,
  }),
  fc.record({
    kind: fc.constant('nest' as const),
    pick: position,
    key: position,
    depth: fc.oneof(fc.integer({ min: 1, max: 50 }), fc.constantFrom(998, 999, 1000, 1001)),
  }),
);

/** Applies a structural mutation in place to a JSON tree (from JSON.parse, so plain objects). */
export function applyJsonMutation(root: unknown, m: JsonMutation): unknown {
  const all = containers(root);
  if (all.length === 0) return root;
  // Half the mutations hit the first few containers (the envelope, `signed`, the role's own
  // fields), which a uniform pick would rarely reach in a file with many targets.
  const index =
    m.pick < 0.5
      ? Math.floor(m.pick * 2 * Math.min(4, all.length))
      : Math.floor((m.pick - 0.5) * 2 * all.length);
  const target = all[index]!;
  const keys = Object.keys(target);
  const key = keys.length ? keys[Math.floor(('key' in m ? m.key : 0) * keys.length)]! : undefined;
  const t = target as Record<string, unknown>;
  // Inserted values are cloned: generated constants (the 2000-element array) are shared between
  // runs, and later mutations edit the tree in place — without the copy they grew run after run
  // until V8 aborted the worker.
  const value = 'value' in m ? structuredClone(m.value) : undefined;
  switch (m.kind) {
    case 'set':
      if (key !== undefined) t[key] = value;
      break;
    case 'delete':
      if (key === undefined) break;
      if (Array.isArray(target)) target.splice(Number(key), 1);
      else delete t[key];
      break;
    case 'add':
      if (Array.isArray(target)) target.push(value);
      // defineProperty, so a `__proto__` name becomes an own key as it would from JSON text
      else
        Object.defineProperty(t, m.name, {
          value,
          enumerable: true,
          writable: true,
          configurable: true,
        });
      break;
    case 'nest':
      if (key !== undefined) {
        let v: unknown = t[key];
        for (let i = 0; i < m.depth; i++) v = i % 2 ? [v] : { v };
        t[key] = v;
      }
      break;
  }
  return root;
}

/** JSON text of a (possibly deeply nested) tree without recursion limits of JSON.stringify. */
export function jsonText(v: unknown): string {
  const out: string[] = [];
  const stack: unknown[] = [v];
  // Iterative writer: the mutated trees may be nested 20,000 deep.
  const CLOSE_OBJ = Symbol('}');
  const CLOSE_ARR = Symbol(']');
  const COMMA = Symbol(',');
  while (stack.length) {
    const x = stack.pop();
    if (x === CLOSE_OBJ) out.push('}');
    else if (x === CLOSE_ARR) out.push(']');
    else if (x === COMMA) out.push(',');
    else if (typeof x === 'object' && x !== null && (x as { __key?: unknown }).__key === KEY) {
      out.push(`${JSON.stringify((x as { name: string }).name)}:`);
    } else if (Array.isArray(x)) {
      out.push('[');
      stack.push(CLOSE_ARR);
      for (let i = x.length - 1; i >= 0; i--) {
        stack.push(x[i]);
        if (i > 0) stack.push(COMMA);
      }
    } else if (typeof x === 'object' && x !== null) {
      out.push('{');
      stack.push(CLOSE_OBJ);
      const keys = Object.keys(x);
      for (let i = keys.length - 1; i >= 0; i--) {
        stack.push((x as Record<string, unknown>)[keys[i]!]);
        stack.push({ __key: KEY, name: keys[i]! });
        if (i > 0) stack.push(COMMA);
      }
    } else if (typeof x === 'number' && !Number.isFinite(x)) {
      out.push(Number.isNaN(x) ? '0' : x > 0 ? '1e999' : '-1e999');
    } else {
      out.push(x === undefined ? 'null' : JSON.stringify(x));
    }
  }
  return out.join('');
}
const KEY = Symbol('key');

/** A valid JSON document, structurally mutated 1–3 times and re-serialised. */
export function jsonMutated(seeds: readonly Buffer[]): fc.Arbitrary<Buffer> {
  return fc
    .tuple(fc.constantFrom(...seeds), fc.array(jsonMutation, { minLength: 1, maxLength: 3 }))
    .map(([seed, ms]) => {
      const tree = JSON.parse(seed.toString('utf8')) as unknown;
      const text = jsonText(ms.reduce(applyJsonMutation, tree));
      // Inputs stay bounded (the invariant includes "no unbounded memory"): catch a generator bug.
      if (text.length > 2_000_000) throw new Error(`jsonMutated produced ${text.length} characters`);
      return Buffer.from(text, 'utf8');
    });
}

/** Text-level JSON tricks that a tree cannot express: duplicate keys, raw invalid UTF-8, escapes. */
export function jsonTextTricks(seeds: readonly Buffer[]): fc.Arbitrary<Buffer> {
  const trick = fc.oneof(
    fc.constant('dupkey'),
    fc.constant('badutf8'),
    fc.constant('surrogate'),
    fc.constant('bignum'),
    fc.constant('fraction'),
    fc.constant('casefold'),
  );
  return fc.tuple(fc.constantFrom(...seeds), trick, position).map(([seed, t, pos]) => {
    const s = seed.toString('latin1');
    // positions of object-member keys ("name":)
    const keys = [...s.matchAll(/"([A-Za-z_]+)":/g)];
    const m = keys[Math.floor(pos * keys.length)];
    if (!m) return seed;
    const at = m.index!;
    const name = m[1]!;
    const before = s.slice(0, at);
    const after = s.slice(at);
    switch (t) {
      case 'dupkey':
        return Buffer.from(`${before}"${name}":null,${after}`, 'latin1');
      case 'casefold':
        return Buffer.from(`${before}"${name.toUpperCase()}":1,${after}`, 'latin1');
      case 'badutf8':
        return Buffer.from(`${before}"${name}\xff\xc0\xed\xa0\x80":1,${after}`, 'latin1');
      case 'surrogate':
        return Buffer.from(`${before}"${name}\\udc00\\ud800":"\\ud800",${after}`, 'latin1');
      case 'bignum':
        return Buffer.from(`${before}"${name}":${'9'.repeat(400)},${after}`, 'latin1');
      default:
        return Buffer.from(`${before}"${name}":1.5e-7,${after}`, 'latin1');
    }
  });
}
