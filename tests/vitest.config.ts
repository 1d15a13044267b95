import { defineConfig } from "vitest/config";

export default defineConfig({
  test: {
    root: ".",
    include: ["tests/**/*.test.ts"],
    testTimeout: 60_000,
    hookTimeout: 60_000,
    // Simulation tests are CPU-bound; two workers match the 2-core machines CI runs on.
    maxWorkers: 2,
  },
});
