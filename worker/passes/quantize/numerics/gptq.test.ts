import { describe, expect, it } from "vitest";
import { HessianAccumulator, quantizeGptq } from "./gptq";
import { dequantizeMatMulNBits, quantizeMatMulNBitsRtn } from "./int4";

function makeRng(seed: number) {
  let s = seed >>> 0;
  const rnd = () => ((s = (s * 1664525 + 1013904223) >>> 0) + 0.5) / 2 ** 32;
  return () => Math.sqrt(-2 * Math.log(rnd())) * Math.cos(2 * Math.PI * rnd());
}

function outputError(x: Float32Array, rows: number, K: number, N: number, w: Float32Array, wq: Float32Array): number {
  let err = 0;
  for (let r = 0; r < rows; r++) {
    for (let n = 0; n < N; n++) {
      let d = 0;
      for (let k = 0; k < K; k++) d += x[r * K + k] * (w[k * N + n] - wq[k * N + n]);
      err += d * d;
    }
  }
  return err;
}

describe("GPTQ", () => {
  it("beats round-to-nearest in output error on correlated activations", () => {
    const K = 128;
    const N = 32;
    const rows = 512;
    const g = makeRng(7);
    // Correlated features (low-rank + noise), like real activations: this is where GPTQ's compensation pays off.
    const rank = 8;
    const basis = Float32Array.from({ length: rank * K }, g);
    const x = new Float32Array(rows * K);
    for (let r = 0; r < rows; r++) {
      const z = Array.from({ length: rank }, g);
      for (let k = 0; k < K; k++) {
        let v = 0.1 * g();
        for (let j = 0; j < rank; j++) v += z[j] * basis[j * K + k];
        x[r * K + k] = v;
      }
    }
    const w = Float32Array.from({ length: K * N }, () => 0.05 * g());
    const acc = new HessianAccumulator(K);
    // Streamed in two batches: the accumulator must not care.
    acc.addRows(x.subarray(0, 200 * K), 200);
    acc.addRows(x.subarray(200 * K), rows - 200);
    expect(acc.samples).toBe(rows);
    for (const symmetric of [true, false]) {
      const rtn = dequantizeMatMulNBits(quantizeMatMulNBitsRtn(w, K, N, 32, symmetric));
      const gptq = dequantizeMatMulNBits(quantizeGptq(w, K, N, acc.finalize(), { blockSize: 32, symmetric }));
      const eRtn = outputError(x, rows, K, N, w, rtn);
      const eGptq = outputError(x, rows, K, N, w, gptq);
      expect(eGptq).toBeLessThan(0.7 * eRtn);
    }
  });
  it("handles dead inputs (zero Hessian diagonal)", () => {
    const K = 32;
    const H = new Float64Array(K * K);
    for (let k = 1; k < K; k++) H[k * K + k] = 1;
    const w = Float32Array.from({ length: K * 2 }, (_, i) => Math.cos(i));
    const q = dequantizeMatMulNBits(quantizeGptq(w, K, 2, H, { blockSize: 32, symmetric: true }));
    expect(q[0]).toBe(0);
    expect(Number.isFinite(q[K])).toBe(true);
  });
});
