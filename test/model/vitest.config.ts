import { fileURLToPath } from 'node:url';
import { defineConfig } from 'vitest/config';

/**
 * The model's unit tests alone, without the root config's globalSetup (which starts a
 * cluster): `npx vitest run --config test/model/vitest.config.ts`.
 */
export default defineConfig({
  root: fileURLToPath(new URL('../..', import.meta.url)),
  test: { include: ['test/model/**/*.test.ts'] },
});
