import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    include: ['src/**/*.test.ts', 'test/**/*.test.ts', 'web/src/**/*.test.ts', 'packages/*/test/**/*.test.ts'],
    // Crash and end-to-end tests spawn real processes; give them room on a 2-core machine.
    testTimeout: 60_000,
    hookTimeout: 60_000,
    pool: 'forks',
    allowOnly: false,
    // Fails a file that leaves a server, socket, child process or thread open.
    setupFiles: ['test/setup/open-handles.ts'],
    coverage: { provider: 'v8', include: ['src/**'], reporter: ['text-summary'] },
  },
});
