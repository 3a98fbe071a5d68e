import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    include: ['test/**/*.test.ts'],
    reporters: ['default', './test/summary-reporter.ts'],
    // One real cluster + redis for the whole run (test/global-setup.ts).
    globalSetup: ['test/global-setup.ts'],
    testTimeout: 60_000,
    // The first run builds kube-apiserver and friends.
    hookTimeout: 600_000,
    // Test files run in parallel, but the machines have 2 cores (and the bed needs some).
    pool: 'forks',
    fileParallelism: true,
    maxWorkers: 2,
  },
});
