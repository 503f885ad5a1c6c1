// @module-tag go -- runs Go binaries, so it is left out of the shifted-clock pass (docs/testing.md)
/**
 * Runs the shared black-box conformance suite (../shared/conformance, green on the Go client)
 * against this build, one vitest test per suite file. A file listed here must pass completely:
 * the suite is the floor, not the goal.
 */
import { spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { describe, expect, it } from 'vitest';
import { projectRoot, tsnotaryBin } from '../helpers/cli.js';

const suiteDir = resolve(projectRoot, '..', 'shared', 'conformance');
const files = ['01-lifecycle', '02-keys', '03-delegations', '04-config', '05-errors'];

function runSuiteFile(file: string): Promise<{ code: number; output: string }> {
  return new Promise((resolvePromise) => {
    const child = spawn(
      process.execPath,
      ['--test', '--test-concurrency=1', '--test-reporter=spec', join('cases', `${file}.test.mjs`)],
      {
        cwd: suiteDir,
        env: { ...process.env, NOTARY_CLI: `${process.execPath} ${tsnotaryBin}`, REF_CLI: 'notary' },
        stdio: ['ignore', 'pipe', 'pipe'],
      },
    );
    let output = '';
    child.stdout.on('data', (d: Buffer) => {
      output += d.toString();
    });
    child.stderr.on('data', (d: Buffer) => {
      output += d.toString();
    });
    child.on('close', (code) => resolvePromise({ code: code ?? 1, output }));
  });
}

describe.runIf(existsSync(suiteDir))('shared conformance suite', () => {
  for (const file of files) {
    it(`${file} passes against tsnotary`, { timeout: 600_000 }, async () => {
      const { code, output } = await runSuiteFile(file);
      const failures = output
        .split('\n')
        .filter((l) => /^\s*✖/.test(l))
        .join('\n');
      expect(failures, output.slice(-4000)).toBe('');
      expect(code).toBe(0);
    });
  }
});
