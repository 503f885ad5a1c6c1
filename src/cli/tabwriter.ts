/**
 * A port of Go's text/tabwriter as notary configures it (`NewWriter(w, 4, 4, 4, ' ', 0)`):
 * cells end at '\t', a column is as wide as its widest cell (in code points, like Go's rune
 * count) plus the padding, at least minwidth; the last cell of a line is never padded; a line
 * without tabs ends the column block. Output must equal Go's byte for byte (tables are parsed
 * by scripts), including its misalignment of wide characters.
 */

export interface TabwriterOptions {
  minwidth: number;
  padding: number;
  padchar: string;
}

export const NOTARY_TABWRITER: TabwriterOptions = { minwidth: 4, padding: 4, padchar: ' ' };

interface Cell {
  text: string;
  width: number;
}

const runeCount = (s: string): number => {
  let n = 0;
  for (const _ of s) n++;
  return n;
};

/** Formats `text` (lines of tab-terminated cells) as Go's tabwriter does on Flush. */
export function tabwrite(text: string, opts: TabwriterOptions = NOTARY_TABWRITER): string {
  let out = '';
  // As in Go, the last element is the line being written (no newline seen yet).
  let lines: Cell[][] = [[]];
  const widths: number[] = [];

  const writeLines = (line0: number, line1: number) => {
    for (let i = line0; i < line1; i++) {
      const line = lines[i]!;
      line.forEach((c, j) => {
        out += c.text;
        if (j < widths.length) out += opts.padchar.repeat(Math.max(0, widths[j]! - c.width));
      });
      // the last buffered line is partial: Go writes no newline for it
      if (i + 1 !== lines.length) out += '\n';
    }
  };

  const format = (line0: number, line1: number) => {
    const column = widths.length;
    for (let cur = line0; cur < line1; cur++) {
      if (column >= lines[cur]!.length - 1) continue;
      // this line has a cell in this column: print the lines before the block
      writeLines(line0, cur);
      line0 = cur;
      let width = opts.minwidth;
      for (; cur < line1; cur++) {
        const line = lines[cur]!;
        if (column >= line.length - 1) break;
        const w = line[column]!.width + opts.padding;
        if (w > width) width = w;
      }
      widths.push(width);
      format(line0, cur);
      widths.pop();
      line0 = cur;
      cur--; // the loop increment resumes at `cur`, where the block ended
    }
    writeLines(line0, line1);
  };

  const flush = () => {
    format(0, lines.length);
    lines = [[]];
  };

  const parts = text.split('\n');
  const partial = parts.pop()!; // text after the last newline ('' when text ends with one)
  for (const raw of parts) {
    const cells = raw.split('\t').map((t) => ({ text: t, width: runeCount(t) }));
    lines[lines.length - 1] = cells;
    lines.push([]);
    // a line with a single cell does not affect the layout of later lines: Go flushes here
    if (cells.length === 1) flush();
  }
  if (partial !== '') {
    const cells = partial.split('\t').map((t) => ({ text: t, width: runeCount(t) }));
    // Flush terminates the open cell only when it has text
    if (cells[cells.length - 1]!.text === '') cells.pop();
    lines[lines.length - 1] = cells;
  }
  flush();
  return out;
}

/**
 * The table layout of notary's listings: header row, a row of dashes as long as each header,
 * then the rows; every row ends with '\n'.
 */
export function renderTable(headers: readonly string[], rows: readonly (readonly string[])[]): string {
  const dashes = headers.map((h) => '-'.repeat(runeCount(h)));
  const fast = uniformTable(headers, dashes, rows);
  if (fast !== undefined) return fast;
  const line = (cells: readonly string[]) => `${cells.join('\t')}\n`;
  let text = line(headers);
  text += line(dashes);
  for (const r of rows) text += line(r);
  return tabwrite(text);
}

/** Code points of `s`; ASCII strings (nearly every cell) without iterating. */
function cellWidth(s: string): number {
  return /^[\x00-\x7f]*$/.test(s) ? s.length : runeCount(s);
}

/**
 * What tabwrite gives for a table whose rows all have the same number of cells and no cell
 * holds a tab or newline (every listing of a sane repository): one column block, so each
 * column but the last is as wide as its widest cell plus the padding. Undefined otherwise
 * (the general port decides). Avoids splitting and re-scanning 10,000-row listings.
 */
function uniformTable(
  headers: readonly string[],
  dashes: readonly string[],
  rows: readonly (readonly string[])[],
  opts: TabwriterOptions = NOTARY_TABWRITER,
): string | undefined {
  const n = headers.length;
  if (n === 0) return undefined;
  const all = [headers, dashes, ...rows];
  const widths = new Array<number>(n - 1).fill(opts.minwidth);
  const cellWidths: number[][] = [];
  for (const row of all) {
    if (row.length !== n) return undefined;
    const ws: number[] = [];
    for (let j = 0; j < n; j++) {
      const cell = row[j]!;
      if (cell.includes('\t') || cell.includes('\n')) return undefined;
      if (j < n - 1) {
        const w = cellWidth(cell);
        ws.push(w);
        if (w + opts.padding > widths[j]!) widths[j] = w + opts.padding;
      }
    }
    cellWidths.push(ws);
  }
  const pads = new Map<number, string>();
  const pad = (k: number) => {
    let p = pads.get(k);
    if (p === undefined) {
      p = opts.padchar.repeat(Math.max(0, k));
      pads.set(k, p);
    }
    return p;
  };
  const out: string[] = [];
  for (let i = 0; i < all.length; i++) {
    const row = all[i]!;
    const ws = cellWidths[i]!;
    let line = '';
    for (let j = 0; j < n - 1; j++) line += row[j]! + pad(widths[j]! - ws[j]!);
    out.push(`${line}${row[n - 1]!}\n`);
  }
  return out.join('');
}
