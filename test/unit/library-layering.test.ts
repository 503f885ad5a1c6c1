/**
 * "No process.*, printing or prompting below the API" (issue 13), checked on the source: only
 * src/cli may read the environment, the standard streams or argv, exit, print with console, or
 * prompt; src/api and everything below it never import src/cli.
 */
import { readdirSync, readFileSync } from 'node:fs';
import { join, relative } from 'node:path';
import { describe, expect, it } from 'vitest';
import { projectRoot } from '../helpers/cli.js';

const src = join(projectRoot, 'src');

function sources(dir: string): string[] {
  return readdirSync(dir, { withFileTypes: true }).flatMap((d) =>
    d.isDirectory() ? sources(join(dir, d.name)) : d.name.endsWith('.ts') ? [join(dir, d.name)] : [],
  );
}

const belowCli = sources(src).filter((f) => !relative(src, f).startsWith('cli/'));

/** Code without comments, so prose about `process.env` does not count. */
function code(file: string): string {
  return readFileSync(file, 'utf8')
    .replace(/\/\*[\s\S]*?\*\//g, '')
    .replace(/^\s*\/\/.*$/gm, '');
}

describe('library layering', () => {
  it('nothing below src/cli touches the process environment, streams, argv, exit or console', () => {
    const offenders = belowCli.flatMap((f) =>
      [
        ...code(f).matchAll(
          /\bprocess\.(env|stdout|stderr|stdin|argv|exit|exitCode|cwd|chdir)\b|\bconsole\.\w+|node:readline/g,
        ),
      ].map((m) => `${relative(src, f)}: ${m[0]}`),
    );
    expect(offenders).toEqual([]);
  });

  it('src/api and the layers below never import the CLI', () => {
    const offenders = belowCli
      .filter((f) => /from '(\.\.\/)+cli\//.test(code(f)))
      .map((f) => relative(src, f));
    expect(offenders).toEqual([]);
  });
});
