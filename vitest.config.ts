import { defineConfig } from "vitest/config";

// Two projects: fast unit tests with Pulumi mocks, and end-to-end tests that
// drive the real engine (one file at a time, with timeouts fit for deploys).
export default defineConfig({
    test: {
        fileParallelism: false,
        projects: [
            { test: { name: "unit", include: ["test/unit/**/*.test.ts"], testTimeout: 30_000 } },
            {
                test: {
                    name: "e2e",
                    include: ["test/e2e/**/*.test.ts"],
                    testTimeout: 20 * 60_000,
                    hookTimeout: 20 * 60_000,
                    sequence: { concurrent: false },
                },
            },
        ],
    },
});
