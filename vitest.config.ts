import { defineConfig } from 'vitest/config';

/** Pure-logic tests: no cluster, no Redis, seconds (`npm run test:unit`). */
const UNIT = ['test/unit/**/*.test.ts', 'test/model/**/*.test.ts'];

export default defineConfig({
  test: {
    reporters: ['default', './test/summary-reporter.ts'],
    testTimeout: 60_000,
    // What a test polls for (a page rendering, a status) can take seconds on a loaded machine;
    // vitest's default of 1 s made the browser test fail on one.
    expect: { poll: { timeout: 20_000 } },
    // Test files run in parallel, but the machines have 2 cores (and the bed needs some).
    pool: 'forks',
    fileParallelism: true,
    maxWorkers: 2,
    projects: [
      { extends: true, test: { name: 'unit', include: UNIT } },
      {
        extends: true,
        test: {
          name: 'integration',
          include: ['test/**/*.test.ts'],
          exclude: UNIT,
          // One real cluster + redis for the whole run (test/global-setup.ts).
          globalSetup: ['test/global-setup.ts'],
          // The first run builds kube-apiserver and friends.
          hookTimeout: 600_000,
        },
      },
    ],
  },
});
