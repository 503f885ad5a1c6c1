import { defineConfig } from 'vitest/config';

/** By-hand stress runs (not in `npm test`): `npx vitest run --config test/stress/vitest.config.ts`. */
export default defineConfig({
  test: {
    include: ['test/stress/**/*.stress.ts'],
    pool: 'forks',
    testTimeout: 3_600_000,
    hookTimeout: 120_000,
    maxWorkers: 1,
  },
});
