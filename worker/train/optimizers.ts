/**
 * Optimizers over Float32Arrays (parameters and gradients keyed by name), a warm-up + cosine learning-rate
 * schedule and gradient clipping by global norm. Plain JS loops in a fixed order, so runs are reproducible.
 */

export type TOptimizerOptions =
  | { kind: "sgd"; momentum: number; weightDecay: number }
  | { kind: "adamw"; beta1: number; beta2: number; epsilon: number; weightDecay: number };

export type TOptimizer = {
  /** Updates `params` in place from `grads` with learning rate `lr`. */
  step: (params: ReadonlyMap<string, Float32Array>, grads: ReadonlyMap<string, Float32Array>, lr: number) => void;
};

/**
 * Creates an optimizer. Weight decay applies to tensors of rank ≥ 2 only (weights, not biases or norm scales),
 * the usual practice; `decayed` names them.
 */
export function createOptimizer(opts: TOptimizerOptions, decayed: ReadonlySet<string>): TOptimizer {
  const state = new Map<string, Float32Array[]>();
  const slots = (name: string, size: number, count: number): Float32Array[] => {
    let s = state.get(name);
    if (!s) state.set(name, (s = Array.from({ length: count }, () => new Float32Array(size))));
    return s;
  };
  if (opts.kind === "sgd") {
    return {
      step: (params, grads, lr) => {
        for (const [name, p] of params) {
          const g = grads.get(name);
          if (!g) continue;
          const [v] = slots(name, p.length, 1) as [Float32Array];
          const wd = decayed.has(name) ? opts.weightDecay : 0;
          for (let i = 0; i < p.length; i++) {
            const gi = g[i]! + wd * p[i]!;
            v[i] = opts.momentum * v[i]! + gi;
            p[i] = p[i]! - lr * v[i]!;
          }
        }
      },
    };
  }
  let t = 0;
  return {
    step: (params, grads, lr) => {
      t++;
      const c1 = 1 - opts.beta1 ** t;
      const c2 = 1 - opts.beta2 ** t;
      for (const [name, p] of params) {
        const g = grads.get(name);
        if (!g) continue;
        const [m, v] = slots(name, p.length, 2) as [Float32Array, Float32Array];
        const wd = decayed.has(name) ? opts.weightDecay : 0;
        for (let i = 0; i < p.length; i++) {
          const gi = g[i]!;
          m[i] = opts.beta1 * m[i]! + (1 - opts.beta1) * gi;
          v[i] = opts.beta2 * v[i]! + (1 - opts.beta2) * gi * gi;
          // Decoupled weight decay (AdamW): shrink the weight directly, not through the gradient.
          p[i] = p[i]! - lr * ((m[i]! / c1) / (Math.sqrt(v[i]! / c2) + opts.epsilon) + wd * p[i]!);
        }
      }
    },
  };
}

export type TScheduleOptions = { baseLr: number; warmupSteps: number; totalSteps: number; minLrRatio: number };

/** Linear warm-up from 0 to baseLr, then cosine decay to baseLr·minLrRatio at totalSteps. `step` counts from 0. */
export function computeLearningRate(step: number, o: TScheduleOptions): number {
  if (step < o.warmupSteps) return (o.baseLr * (step + 1)) / o.warmupSteps;
  const span = Math.max(1, o.totalSteps - o.warmupSteps);
  const progress = Math.min(1, (step - o.warmupSteps) / span);
  const min = o.baseLr * o.minLrRatio;
  return min + (o.baseLr - min) * 0.5 * (1 + Math.cos(Math.PI * progress));
}

/** Scales all gradients so their global L2 norm is at most maxNorm; returns the norm before clipping. */
export function clipGradientsByGlobalNorm(grads: ReadonlyMap<string, Float32Array>, maxNorm: number): number {
  let sq = 0;
  for (const g of grads.values()) for (let i = 0; i < g.length; i++) sq += g[i]! * g[i]!;
  const norm = Math.sqrt(sq);
  if (Number.isFinite(maxNorm) && norm > maxNorm) {
    const scale = maxNorm / (norm + 1e-12);
    for (const g of grads.values()) for (let i = 0; i < g.length; i++) g[i] = g[i]! * scale;
  }
  return norm;
}
