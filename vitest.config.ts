import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    include: ['test/**/*.test.ts'],
    // Integration tests start real notary-server processes and spawn the CLI: give them room,
    // and keep files in separate forks so a crashed server cannot take the run down.
    pool: 'forks',
    testTimeout: 120_000,
    hookTimeout: 120_000,
    maxWorkers: 2,
    reporters: ['default', './scripts/summary-reporter.ts'],
    tags: [
      {
        // docs/testing.md: the shifted-clock pass (`npm run test:shifted`) runs every test
        // without this tag under libfaketime, which Go binaries ignore.
        name: 'go',
        description:
          'runs a Go binary (notary, notary-server, docker, ...); left out of the shifted-clock pass',
      },
    ],
  },
});
