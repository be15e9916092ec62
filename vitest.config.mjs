// Vitest runs in Node: the wasm core tests (tests/wasm) and the JS interop tests (tests/js).
// Kept apart from vite.config.ts, whose root is web/.
import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    include: ['tests/wasm/**/*.test.mjs', 'tests/js/**/*.test.mjs'],
    environment: 'node',
    pool: 'forks',
    testTimeout: 120_000,
    hookTimeout: 120_000,
  },
});
