import { defineConfig } from "vitest/config";

// npm run chaos (scripts/chaos): the fault suites, too long for npm test. Files
// run in parallel (each on its own stacks); the Docker engine restart runs
// alone afterwards, as a separate vitest run of restart.test.ts.
export default defineConfig({
    test: {
        include: ["test/chaos/**/*.test.ts"],
        testTimeout: 150 * 60_000,
        hookTimeout: 20 * 60_000,
        fileParallelism: true,
    },
});
