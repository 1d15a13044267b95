import { configDefaults, defineConfig } from "vitest/config";

/**
 * The crash-point test SIGKILLs a daemon at random moments and needs its kills to land during
 * commits: with the CPU-bound simulation tests beside it on two cores, its daemons decided a
 * tenth as often (4 commits in 50 rounds instead of 40) and its check that kills hit commits
 * failed for want of commits, not of durability. It runs alone, after the rest (groupOrder).
 */
const ALONE = ["tests/integration/crash-points.test.ts"];

export default defineConfig({
  test: {
    testTimeout: 60_000,
    hookTimeout: 60_000,
    projects: [
      {
        extends: true,
        // Simulation tests are CPU-bound; two workers match the 2-core machines CI runs on.
        test: { name: "all", root: ".", include: ["tests/**/*.test.ts"], exclude: [...configDefaults.exclude, ...ALONE], maxWorkers: 2, sequence: { groupOrder: 0 } },
      },
      { extends: true, test: { name: "alone", root: ".", include: ALONE, maxWorkers: 1, testTimeout: 600_000, sequence: { groupOrder: 1 } } },
    ],
  },
});
