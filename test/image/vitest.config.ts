import { defineConfig } from 'vitest/config';

// `npm run test:image`: builds the container image from the repository's Dockerfile and runs it.
// Slow (minutes: a Debian base, apt-get, npm ci, a build) and needs podman, so it is not part of `npm test`.
export default defineConfig({
  test: {
    include: ['test/image/**/*.image-test.ts'],
    pool: 'forks',
    maxWorkers: 1,
    testTimeout: 600_000,
    hookTimeout: 1_500_000,
    reporters: ['default'],
  },
});
