import { AppError } from "../../../contracts/app-error";
import type { PrismaClient } from "../../db/prisma";

/** A token bucket: `capacity` requests at once, refilled at `capacity` per minute. */
export type TRateLimit = { bucketKey: string; perMinute: number };

export type TRateLimitDecision = { allowed: true; remaining: number } | { allowed: false; retryAfterSeconds: number };

/**
 * Takes one token from a bucket kept in PostgreSQL, in one atomic statement: correct across any number of web
 * replicas, at the cost of one indexed upsert per request. Refill is computed from the elapsed time, so nothing has
 * to run in the background. `perMinute <= 0` means no limit.
 */
export async function consumeRateLimit(prisma: PrismaClient, limit: TRateLimit): Promise<TRateLimitDecision> {
  if (limit.perMinute <= 0) return { allowed: true, remaining: Number.POSITIVE_INFINITY };
  const capacity = limit.perMinute;
  const ratePerSecond = limit.perMinute / 60;
  // `refilled` is the bucket after refill; the UPDATE only happens when it holds a whole token. clock_timestamp(),
  // not now(): inside a longer transaction now() would stand still.
  const rows = await prisma.$queryRaw<{ tokens: number }[]>`
    INSERT INTO "RateLimitBucket" (key, tokens, "updatedAt") VALUES (${limit.bucketKey}, ${capacity - 1}, clock_timestamp())
    ON CONFLICT (key) DO UPDATE SET
      tokens = LEAST(${capacity}::float8, "RateLimitBucket".tokens + EXTRACT(EPOCH FROM (clock_timestamp() - "RateLimitBucket"."updatedAt")) * ${ratePerSecond}::float8) - 1,
      "updatedAt" = clock_timestamp()
    WHERE LEAST(${capacity}::float8, "RateLimitBucket".tokens + EXTRACT(EPOCH FROM (clock_timestamp() - "RateLimitBucket"."updatedAt")) * ${ratePerSecond}::float8) >= 1
    RETURNING tokens`;
  if (rows[0]) return { allowed: true, remaining: Math.floor(Number(rows[0].tokens)) };
  const current = await prisma.$queryRaw<{ tokens: number }[]>`
    SELECT LEAST(${capacity}::float8, tokens + EXTRACT(EPOCH FROM (clock_timestamp() - "updatedAt")) * ${ratePerSecond}::float8) AS tokens
    FROM "RateLimitBucket" WHERE key = ${limit.bucketKey}`;
  const tokens = Number(current[0]?.tokens ?? 0);
  return { allowed: false, retryAfterSeconds: Math.max(1, Math.ceil((1 - tokens) / ratePerSecond)) };
}

/**
 * Applies the limits in order and throws RATE_LIMITED (429) at the first one exhausted; `details.retryAfterSeconds`
 * becomes the Retry-After header (server/api/handler.ts).
 */
export async function enforceRateLimits(prisma: PrismaClient, limits: (TRateLimit & { label: string })[]): Promise<void> {
  for (const limit of limits) {
    const decision = await consumeRateLimit(prisma, limit);
    if (!decision.allowed) {
      throw new AppError("RATE_LIMITED", {
        userMessage: `too many requests for this ${limit.label} (limit ${limit.perMinute} per minute): retry in ${decision.retryAfterSeconds} s`,
        details: { retryAfterSeconds: decision.retryAfterSeconds, limitPerMinute: limit.perMinute, scope: limit.label },
      });
    }
  }
}
