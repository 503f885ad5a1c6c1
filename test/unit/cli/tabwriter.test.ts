import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { renderTable, tabwrite } from '../../../src/cli/tabwriter.js';
import { fixturesDir } from '../../helpers/cli.js';

const outputs = join(fixturesDir, 'go', 'outputs');

/** Splits a rendered Go table back into cells (cells never contain 4 spaces in these fixtures). */
function cellsOf(line: string): string[] {
  return line.replace(/ +$/, '').split(/ {4,}/);
}

describe('tabwriter (Go text/tabwriter, minwidth 4, padding 4)', () => {
  it('reproduces `notary list` byte for byte', () => {
    const expected = readFileSync(join(outputs, 'list.txt'), 'utf8');
    const lines = expected.split('\n').filter(Boolean);
    const rows = lines.slice(2).map(cellsOf);
    expect(renderTable(['NAME', 'DIGEST', 'SIZE (BYTES)', 'ROLE'], rows)).toBe(expected);
  });

  it('reproduces `notary key list` (with an empty GUN cell) byte for byte', () => {
    const expected = readFileSync(join(outputs, 'key-list.txt'), 'utf8');
    const rows = [
      [
        'root',
        '',
        'cc2db44db848cae786a79154f0e74745f0a8e072dfbc021a6c7ab17871a046fb',
        '/home/alice/.notary/private',
      ],
      [
        'targets/releases',
        '',
        '7ad7af0706ad27bc7be6fcc8f4031c6deed2d0b18204b763a633fbf4454f3553',
        '/home/alice/.notary/private',
      ],
      [
        'snapshot',
        'example.com/fixtures/demo',
        'd04196436a9693ac168d440ef7e15edc740a34cc15b511428e5857bcf013b8d3',
        '/home/alice/.notary/private',
      ],
      [
        'targets',
        'example.com/fixtures/demo',
        '5e6c944168d8f491bce0ca842d3f0767d020b6ff656d2510d6888149c6a742dd',
        '/home/alice/.notary/private',
      ],
    ];
    expect(`\n${renderTable(['ROLE', 'GUN', 'KEY ID', 'LOCATION'], rows)}\n`).toBe(expected);
  });

  it('reproduces `notary delegation list` byte for byte', () => {
    const expected = readFileSync(join(outputs, 'delegation-list.txt'), 'utf8');
    const rows = [
      [
        'targets/releases',
        'releases/',
        '7ad7af0706ad27bc7be6fcc8f4031c6deed2d0b18204b763a633fbf4454f3553',
        '1',
      ],
    ];
    expect(`\n${renderTable(['ROLE', 'PATHS', 'KEY IDS', 'THRESHOLD'], rows)}\n`).toBe(expected);
  });

  it('reproduces the status vector, including rows ending with an empty cell', () => {
    const expected = readFileSync(join(fixturesDir, 'vectors', 'changelist', 'status-output.txt'), 'utf8');
    const [head, ...rest] = expected.split('\n\n');
    const body = rest.join('\n\n');
    const lines = body.split('\n').filter(Boolean);
    const rows = lines.slice(2).map((l) => {
      const cells = l.split(/ {4,}/);
      // rows whose PATH is empty end with the padding of TYPE: split leaves a trailing ''
      return cells.length === 5 ? cells : [...cells.slice(0, 4), ''];
    });
    expect(`${head}\n\n${renderTable(['#', 'ACTION', 'SCOPE', 'TYPE', 'PATH'], rows)}`).toBe(expected);
  });

  it('the spec continuation-row example of delegation list (empty last cells keep padding)', () => {
    const out = renderTable(
      ['ROLE', 'PATHS', 'KEY IDS', 'THRESHOLD'],
      [
        ['targets/releases', '"" <all paths>', 'a'.repeat(64), '1'],
        ['', 'bar/', 'b'.repeat(64), ''],
        ['', 'baz', '', ''],
      ],
    );
    const lines = out.split('\n');
    expect(lines[3]).toBe(`${' '.repeat(20)}bar/${' '.repeat(14)}${'b'.repeat(64)}    `);
    expect(lines[4]).toBe(`${' '.repeat(20)}baz${' '.repeat(15)}${' '.repeat(68)}`);
  });

  it('counts code points, not UTF-16 units or display cells (Go misaligns wide characters the same way)', () => {
    const out = renderTable(
      ['NAME', 'X'],
      [
        ['😀', '1'],
        ['ｚfull', '2'],
      ],
    );
    expect(out.split('\n')[2]).toBe(`😀${' '.repeat(8)}1`);
    expect(out.split('\n')[3]).toBe(`ｚfull${' '.repeat(4)}2`);
  });

  it('uses minwidth 4 for short columns', () => {
    expect(renderTable(['#', 'A'], [['0', 'x']])).toBe('#    A\n-    -\n0    x\n');
  });

  it('a line without tabs ends the column block (Go flushes there)', () => {
    expect(tabwrite('a\tb\nlonglonglong\tc\nplain\nx\ty\n')).toBe(
      'a               b\nlonglonglong    c\nplain\nx    y\n',
    );
  });

  it('a trailing partial line is written without a newline', () => {
    expect(tabwrite('ab\tc\nd\te')).toBe('ab    c\nd     e');
  });
});

describe('renderTable fast path (one column block)', () => {
  const cell = fc.oneof(
    fc.string({ maxLength: 12 }),
    fc.constantFrom('', 'é', 'x\u{1F600}', 'tab\there', 'new\nline', 'targets/releases', '数据'),
  );
  it('equals the general tabwriter port for any table', () => {
    fc.assert(
      fc.property(
        fc
          .integer({ min: 1, max: 5 })
          .chain((n) =>
            fc.tuple(
              fc.array(cell, { minLength: n, maxLength: n }),
              fc.array(fc.array(cell, { minLength: n, maxLength: n }), { maxLength: 8 }),
            ),
          ),
        ([headers, rows]) => {
          const line = (cells: readonly string[]) => `${cells.join('\t')}\n`;
          let text = line(headers) + line(headers.map((h) => '-'.repeat([...h].length)));
          for (const r of rows) text += line(r);
          expect(renderTable(headers, rows)).toBe(tabwrite(text));
        },
      ),
      { numRuns: 1500 },
    );
  });
});
