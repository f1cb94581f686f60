/**
 * Pareto front of compression results: the jobs no other job beats on every axis at once
 * (smaller file, lower latency, higher fidelity). Pure, so the compare page and its tests share it.
 */

export type TTradeoffPoint = {
  id: string;
  sizeBytes: number;
  latencyMs: number;
  /** Output cosine vs the original (1 = identical); the original model itself is 1. */
  fidelity: number;
};

/** True when `a` is at least as good as `b` on every axis and strictly better on one. */
export function dominates(a: TTradeoffPoint, b: TTradeoffPoint): boolean {
  const noWorse = a.sizeBytes <= b.sizeBytes && a.latencyMs <= b.latencyMs && a.fidelity >= b.fidelity;
  const better = a.sizeBytes < b.sizeBytes || a.latencyMs < b.latencyMs || a.fidelity > b.fidelity;
  return noWorse && better;
}

/**
 * Ids of the non-dominated points. O(n²): a compare page holds tens of jobs, not thousands.
 * Exact duplicates are both kept (neither dominates the other), so two identical runs both show as optimal.
 */
export function findParetoFront(points: ReadonlyArray<TTradeoffPoint>): Set<string> {
  const front = new Set<string>();
  for (const p of points) {
    if (!points.some((q) => q !== p && dominates(q, p))) front.add(p.id);
  }
  return front;
}
