/**
 * Latency measurement in onnxruntime-node: warm-up runs, then timed runs; percentiles from the samples.
 * Several sessions are measured interleaved (A B, B A, A B, ...) so machine noise (frequency changes, other
 * processes) hits every model equally instead of biasing whichever ran last.
 */
import type { TInferenceSession, TRuntimeTensor } from "../runtime/ort";
import { throwIfAborted } from "../pipeline/abort";

export type TLatencyMs = { p50: number; p95: number; runs: number };
export type TLatencySamples = TLatencyMs & { samplesMs: number[]; meanMs: number };

export type TMeasureLatencyOptions = {
  /** Untimed runs first, so lazy allocations do not count. */
  warmupRuns: number;
  /** Timed runs per session. */
  runs: number;
  signal?: AbortSignal;
  /** Called after each timed round with the fraction done (0..1). */
  onProgress?: (fraction: number) => void;
};

/** Percentile by linear interpolation between closest ranks (p in 0..100) of unsorted samples. */
export function computePercentile(samples: readonly number[], p: number): number {
  if (samples.length === 0) return NaN;
  const sorted = [...samples].sort((a, b) => a - b);
  const rank = (p / 100) * (sorted.length - 1);
  const lo = Math.floor(rank);
  const hi = Math.ceil(rank);
  return sorted[lo] + (sorted[hi] - sorted[lo]) * (rank - lo);
}

/** Summarises samples into the report's latency shape. */
export function summarizeLatency(samplesMs: number[]): TLatencySamples {
  return {
    p50: computePercentile(samplesMs, 50),
    p95: computePercentile(samplesMs, 95),
    runs: samplesMs.length,
    meanMs: samplesMs.reduce((a, b) => a + b, 0) / Math.max(1, samplesMs.length),
    samplesMs,
  };
}

/**
 * Measures several sessions interleaved. `feeds` is one feed set for all sessions, or one per session (e.g. when a
 * compressed model takes float16 inputs). Checks `signal` before every run.
 */
export async function measureLatencyInterleaved(
  sessions: readonly TInferenceSession[],
  feeds: Record<string, TRuntimeTensor> | readonly Record<string, TRuntimeTensor>[],
  opts: TMeasureLatencyOptions,
): Promise<TLatencySamples[]> {
  const feedFor = (i: number) => (Array.isArray(feeds) ? feeds[i] : (feeds as Record<string, TRuntimeTensor>));
  for (let w = 0; w < opts.warmupRuns; w++) {
    for (let i = 0; i < sessions.length; i++) {
      throwIfAborted(opts.signal);
      await sessions[i].run(feedFor(i));
    }
  }
  const samples: number[][] = sessions.map(() => []);
  for (let r = 0; r < opts.runs; r++) {
    // Alternate the order each round so neither model always runs right after the other.
    const order = sessions.map((_, i) => i);
    if (r % 2 === 1) order.reverse();
    for (const i of order) {
      throwIfAborted(opts.signal);
      const t0 = performance.now();
      await sessions[i].run(feedFor(i));
      samples[i].push(performance.now() - t0);
    }
    opts.onProgress?.((r + 1) / opts.runs);
  }
  return samples.map(summarizeLatency);
}

/** Measures one session: warm-up + timed runs → {p50, p95, runs} (plus raw samples). */
export async function measureLatency(
  session: TInferenceSession,
  feeds: Record<string, TRuntimeTensor>,
  opts: TMeasureLatencyOptions,
): Promise<TLatencySamples> {
  const [result] = await measureLatencyInterleaved([session], feeds, opts);
  return result;
}
