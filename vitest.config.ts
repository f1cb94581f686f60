import { defineConfig } from "vitest/config";

export default defineConfig({
  test: {
    projects: [
      {
        test: {
          name: "unit",
          sequence: { groupOrder: 0 },
          include: ["{contracts,server,worker,cli,client,app}/**/*.test.ts", "tests/infra/**/*.test.ts"],
          environment: "node",
          testTimeout: 60_000,
        },
      },
      {
        test: {
          name: "integration",
          sequence: { groupOrder: 1 },
          include: ["tests/integration/**/*.test.ts"],
          exclude: ["tests/integration/ops-scale-out.test.ts"],
          environment: "node",
          testTimeout: 180_000,
          hookTimeout: 180_000,
          // 2 cores: a few files at a time, each with its own database and s3rver.
          maxWorkers: 2,
          fileParallelism: true,
        },
      },
      {
        test: {
          // Kills workers and drops every database connection on a schedule: it needs the machine to itself,
          // so it runs after the other integration files, alone.
          name: "chaos",
          sequence: { groupOrder: 2 },
          include: ["tests/integration/ops-scale-out.test.ts"],
          environment: "node",
          testTimeout: 300_000,
          hookTimeout: 180_000,
          maxWorkers: 1,
        },
      },
    ],
  },
});
