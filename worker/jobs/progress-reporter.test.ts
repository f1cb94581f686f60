import { afterEach, beforeEach, expect, test, vi } from "vitest";
import { createProgressReporter, type TJobProgress } from "./progress-reporter";

beforeEach(() => {
  vi.useFakeTimers();
});
afterEach(() => {
  vi.useRealTimers();
});

test("a burst of reports becomes at most one write per interval, and the latest value wins", async () => {
  const writes: TJobProgress[] = [];
  const reporter = createProgressReporter({
    minIntervalMs: 500,
    write: async (p) => {
      writes.push(p);
      return true;
    },
    onLost: () => undefined,
    now: () => Date.now(),
  });
  for (let i = 1; i <= 100; i++) reporter.report({ stage: "measuring", progress: i / 100 });
  await vi.advanceTimersByTimeAsync(0);
  // The burst was synchronous: one write, with its last value.
  expect(writes).toEqual([{ stage: "measuring", progress: 1 }]);
  reporter.report({ stage: "measuring", progress: 0.5 });
  reporter.report({ stage: "uploading", progress: 0.6 });
  await vi.advanceTimersByTimeAsync(499);
  expect(writes).toHaveLength(1);
  await vi.advanceTimersByTimeAsync(1);
  expect(writes).toEqual([
    { stage: "measuring", progress: 1 },
    { stage: "uploading", progress: 0.6 },
  ]);
  // 2 s of steady reports: ≤ 2 writes per second.
  for (let t = 0; t < 2000; t += 10) {
    reporter.report({ stage: "uploading", progress: t / 2000 });
    await vi.advanceTimersByTimeAsync(10);
  }
  expect(writes.length).toBeLessThanOrEqual(2 + 4 + 1);
  reporter.close();
});

test("a write that finds the row gone calls onLost once and stops writing", async () => {
  let writes = 0;
  const onLost = vi.fn();
  const reporter = createProgressReporter({
    minIntervalMs: 100,
    write: async () => {
      writes++;
      return false;
    },
    onLost,
  });
  reporter.report({ stage: "a", progress: 0.2 });
  await vi.advanceTimersByTimeAsync(0);
  reporter.report({ stage: "a", progress: 0.4 });
  await vi.advanceTimersByTimeAsync(1000);
  expect(writes).toBe(1);
  expect(onLost).toHaveBeenCalledTimes(1);
});

test("flush writes the pending value immediately; progress is clamped to 0..1", async () => {
  const writes: TJobProgress[] = [];
  const reporter = createProgressReporter({
    minIntervalMs: 10_000,
    write: async (p) => {
      writes.push(p);
      return true;
    },
    onLost: () => undefined,
  });
  reporter.report({ stage: "x", progress: -3 });
  await vi.advanceTimersByTimeAsync(0);
  reporter.report({ stage: "y", progress: 7 });
  await reporter.flush();
  expect(writes).toEqual([
    { stage: "x", progress: 0 },
    { stage: "y", progress: 1 },
  ]);
});

test("a failing write is reported and does not stop later writes", async () => {
  const errors: unknown[] = [];
  let calls = 0;
  const reporter = createProgressReporter({
    minIntervalMs: 100,
    write: async () => {
      calls++;
      if (calls === 1) throw new Error("connection reset");
      return true;
    },
    onLost: () => undefined,
    onError: (err) => errors.push(err),
  });
  reporter.report({ stage: "a", progress: 0.1 });
  await vi.advanceTimersByTimeAsync(0);
  reporter.report({ stage: "a", progress: 0.2 });
  await vi.advanceTimersByTimeAsync(200);
  expect(calls).toBe(2);
  expect(errors).toHaveLength(1);
});
