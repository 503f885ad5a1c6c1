/**
 * Prints the plain closing line `N passed, N failed, N skipped` that CI reads.
 * Vitest's own summary is not a format CI recognises.
 *
 * Under scripts/test-passes.mjs (which runs the suite once on the real clock and once on a
 * shifted clock, docs/testing.md) each pass labels its line, writes its counts to the file named
 * by TSNOTARY_TEST_SUMMARY, and the script prints the closing line over both passes.
 * Tests left out by a `--tags-filter '!tag'` (the shifted pass leaves out `go`) are not "skipped":
 * they run in the other pass, so they are counted apart.
 */
import { writeFileSync } from 'node:fs';
import type { Reporter, TestModule, Vitest } from 'vitest/node';

export interface PassCounts {
  passed: number;
  failed: number;
  skipped: number;
  /** tests not selected by a `!tag` tags filter */
  leftOut: number;
}

export default class SummaryReporter implements Reporter {
  /** tags a `--tags-filter '!tag'` leaves out */
  private excludedTags: string[] = [];

  onInit(vitest: Vitest): void {
    for (const expr of vitest.config.tagsFilter ?? []) {
      const m = /^\s*!\s*([\w\-/]+)\s*$/.exec(expr);
      if (m?.[1]) this.excludedTags.push(m[1]);
    }
  }

  onTestRunEnd(testModules: ReadonlyArray<TestModule>, unhandledErrors: ReadonlyArray<unknown>): void {
    const c: PassCounts = { passed: 0, failed: 0, skipped: 0, leftOut: 0 };
    for (const mod of testModules) {
      for (const test of mod.children.allTests()) {
        const state = test.result().state;
        if (state === 'passed') c.passed++;
        else if (state === 'failed') c.failed++;
        else if (test.tags.some((t) => this.excludedTags.includes(t))) c.leftOut++;
        else c.skipped++;
      }
      // A file that failed to load has no tests but must count as a failure.
      if (mod.state() === 'failed' && [...mod.children.allTests()].length === 0) c.failed++;
    }
    c.failed += unhandledErrors.length;
    const line = `${c.passed} passed, ${c.failed} failed, ${c.skipped} skipped`;
    const label = process.env['TSNOTARY_TEST_PASS'];
    const leftOut = c.leftOut
      ? ` (${c.leftOut} tagged ${this.excludedTags.join(', ')} left out of this pass)`
      : '';
    process.stdout.write(label ? `\n${label}: ${line}${leftOut}\n` : `\n${line}${leftOut}\n`);
    const file = process.env['TSNOTARY_TEST_SUMMARY'];
    if (file) writeFileSync(file, `${JSON.stringify(c)}\n`);
  }
}
