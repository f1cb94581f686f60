import { describe, expect, test } from "vitest";
import { computeRetryDelayMs, DEFAULT_RETRY_SCHEDULE_SECONDS } from "./retry-schedule";

describe("webhook retry schedule", () => {
  test("follows the published delays with 0-20% added jitter, then stops", () => {
    expect(computeRetryDelayMs(1, DEFAULT_RETRY_SCHEDULE_SECONDS, () => 0)).toBe(5_000);
    expect(computeRetryDelayMs(1, DEFAULT_RETRY_SCHEDULE_SECONDS, () => 1)).toBe(6_000);
    expect(computeRetryDelayMs(2, DEFAULT_RETRY_SCHEDULE_SECONDS, () => 0.5)).toBe(330_000);
    expect(computeRetryDelayMs(7, DEFAULT_RETRY_SCHEDULE_SECONDS, () => 0)).toBe(36_000_000);
    expect(computeRetryDelayMs(8, DEFAULT_RETRY_SCHEDULE_SECONDS)).toBeUndefined();
    const total = DEFAULT_RETRY_SCHEDULE_SECONDS.reduce((a, b) => a + b, 0) / 3600;
    expect(total).toBeCloseTo(27.58, 1);
  });

  test("jitter never goes below the published delay", () => {
    for (let i = 0; i < 1000; i++) {
      const d = computeRetryDelayMs(1, [10])!;
      expect(d).toBeGreaterThanOrEqual(10_000);
      expect(d).toBeLessThanOrEqual(12_000);
    }
  });
});
