import { defineConfig } from 'vitest/config';

// One config for the whole suite: `npm test` runs unit, integration (real Redis,
// real UDP/WebSocket), namespace (root) and browser (e2e) tests together.
export default defineConfig({
  test: {
    include: ['tests/**/*.test.ts'],
    // Integration tests start daemons and redis-servers; a loaded 2-core machine needs room.
    testTimeout: 30_000,
    hookTimeout: 60_000,
    pool: 'forks',
  },
});
