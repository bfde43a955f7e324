import { configDefaults, defineConfig } from "vitest/config";

/**
 * Tests that measure an aggregate rate of several llmbatch processes against the simulator's limit
 * (as the bench does): `npm test` runs them after every other file, one file at a time, so no other
 * test competes with them for the CPU. On a busy 2-core machine another file's processes starved
 * theirs, and a starved first answer is a start-up 429 they count.
 */
const RATE_TESTS = ["test/cli/run.redis-shared.test.ts", "test/cli/run.redis-crash.test.ts", "test/service/service.redis-shared.test.ts"];
const ratePart = process.env.LLMBATCH_RATE_TESTS === "1";

export default defineConfig({
  test: {
    include: ratePart ? RATE_TESTS : ["test/**/*.test.ts"],
    exclude: ratePart ? [...configDefaults.exclude] : [...configDefaults.exclude, ...RATE_TESTS],
    fileParallelism: !ratePart,
    testTimeout: 30_000,
    hookTimeout: 30_000,
    pool: "forks",
  },
});
