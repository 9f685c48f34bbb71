import { availableParallelism } from 'node:os';
import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    include: ['src/**/*.test.ts', 'test/**/*.test.ts', 'web/src/**/*.test.ts'],
    // Compiles the CLI once per run for the tests that spawn it (test/support/cli.ts).
    globalSetup: ['test/support/cli-build.ts'],
    testTimeout: 60_000,
    hookTimeout: 120_000,
    pool: 'forks',
    // One test file per core (vitest's default leaves one core idle: a single worker on 2 cores).
    // Most files spend much of their time waiting for the processes they start (the CLI, clamd,
    // Chromium, `wekeep serve`), so this keeps both cores of CI busy.
    maxWorkers: availableParallelism(),
  },
});
