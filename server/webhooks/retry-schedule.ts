/**
 * The published retry schedule (README "Webhooks"): attempt 1 at once, then retries after
 * 5 s, 5 min, 30 min, 2 h, 5 h, 10 h and 10 h: 8 attempts over ~27.6 h (WEBHOOK_RETRY_SCHEDULE_SECONDS).
 * Every delay gets 0–20% extra random jitter, so a receiver that was down is not hit by all retries at the same
 * second; the jitter only adds, so the published delay is a lower bound.
 */
export const DEFAULT_RETRY_SCHEDULE_SECONDS: readonly number[] = [5, 300, 1800, 7200, 18000, 36000, 36000];

/** Upper bound of the jitter, as a share of the delay. */
export const RETRY_JITTER_SHARE = 0.2;

/**
 * Delay before attempt `failedAttempts + 1` of a round, or undefined when the round's attempts are used up.
 * `failedAttempts` counts the attempts of this round that already failed (1 after the first failure).
 */
export function computeRetryDelayMs(failedAttempts: number, scheduleSeconds: readonly number[], random: () => number = Math.random): number | undefined {
  const base = scheduleSeconds[failedAttempts - 1];
  if (base === undefined) return undefined;
  return Math.round(base * 1000 * (1 + RETRY_JITTER_SHARE * random()));
}
