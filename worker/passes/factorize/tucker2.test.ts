import { describe, expect, it } from "vitest";
import { DTYPE, createTensor, readTensorAsFloat32 } from "../../onnx/dtypes";
import { encodeModel } from "../../onnx/model-io";
import { createAttribute, createEmptyGraphProto, createNodeProto, createTensorValueInfo, type TModelProto } from "../../onnx/onnx-proto";
import { wrapGraph } from "../../onnx/tiny-models.test-helper";
import { createInferenceSession } from "../../runtime/ort";
import { computeTucker2Factors, factorizeLowRank } from "./low-rank";
import { computeExactSvd, createRng } from "./svd";

const H = 9;

/** W = core ×₁ A ×₂ B: multilinear rank exactly (ro, ri) when given, else plain random. */
function buildWeight(co: number, ci: number, k: number, seed: number, ranks?: [number, number]): Float32Array {
  const rand = createRng(seed);
  if (!ranks) return Float32Array.from({ length: co * ci * k }, () => rand() - 0.5);
  const [ro, ri] = ranks;
  const a = Array.from({ length: co * ro }, () => rand() - 0.5);
  const b = Array.from({ length: ci * ri }, () => rand() - 0.5);
  const core = Array.from({ length: ro * ri * k }, () => rand() - 0.5);
  const w = new Float32Array(co * ci * k);
  for (let o = 0; o < co; o++)
    for (let c = 0; c < ci; c++)
      for (let s = 0; s < k; s++) {
        let v = 0;
        for (let x = 0; x < ro; x++) for (let y = 0; y < ri; y++) v += a[o * ro + x] * core[(x * ri + y) * k + s] * b[c * ri + y];
        w[(o * ci + c) * k + s] = v;
      }
  return w;
}

/** img [1, ci, 9, 9] → Conv 3×3 (stride 2, pads 1, bias) → z. */
function buildConvModel(w: Float32Array, co: number, ci: number): TModelProto {
  const g = createEmptyGraphProto("tucker");
  g.input.push(createTensorValueInfo("img", DTYPE.FLOAT, [1, ci, H, H]));
  g.output.push(createTensorValueInfo("z", DTYPE.FLOAT, [1, co, 5, 5]));
  g.initializer.push(createTensor("k", DTYPE.FLOAT, [co, ci, 3, 3], w));
  g.initializer.push(createTensor("kb", DTYPE.FLOAT, [co], Array.from({ length: co }, (_, i) => i * 0.05)));
  g.node.push(
    createNodeProto("Conv", ["img", "k", "kb"], ["z"], {
      name: "conv",
      attribute: [createAttribute("pads", [1, 1, 1, 1], { asInt: true }), createAttribute("strides", [2, 2], { asInt: true }), createAttribute("kernel_shape", [3, 3], { asInt: true })],
    }),
  );
  return wrapGraph(g, { opset: 13 });
}

async function runConv(model: TModelProto, ci: number): Promise<Float32Array> {
  const s = await createInferenceSession(encodeModel(model), { intraOpThreads: 1 });
  try {
    const img = Float32Array.from({ length: ci * H * H }, (_, i) => Math.cos(i * 0.3));
    return (await s.run({ img: { type: "float32", dims: [1, ci, H, H], data: img } })).z.data as Float32Array;
  } finally {
    await s.release();
  }
}

function relativeError(a: ArrayLike<number>, b: ArrayLike<number>): number {
  let num = 0;
  let den = 0;
  for (let i = 0; i < a.length; i++) {
    num += (a[i] - b[i]) ** 2;
    den += a[i] ** 2;
  }
  return Math.sqrt(num / den);
}

/** Ŵ[o,c,s] = Σ U_o[o,a]·core[a,b,s]·U_i[c,b], read back from the factorized model's three Conv weights. */
function reconstructFromModel(model: TModelProto, co: number, ci: number): Float32Array {
  const init = new Map(model.graph!.initializer.map((t) => [t.name, t]));
  const [inName, coreName, outName] = ["conv_tucker_in", "conv_tucker_core", "conv_tucker_out"];
  const fin = readTensorAsFloat32(init.get(inName)!);
  const core = readTensorAsFloat32(init.get(coreName)!);
  const fout = readTensorAsFloat32(init.get(outName)!);
  const ri = fin.length / ci;
  const ro = fout.length / co;
  const w = new Float32Array(co * ci * 9);
  for (let o = 0; o < co; o++)
    for (let c = 0; c < ci; c++)
      for (let s = 0; s < 9; s++) {
        let v = 0;
        for (let a = 0; a < ro; a++) for (let b = 0; b < ri; b++) v += fout[o * ro + a] * core[(a * ri + b) * 9 + s] * fin[b * ci + c];
        w[(o * ci + c) * 9 + s] = v;
      }
  return w;
}

describe("Tucker-2 Conv factorization", () => {
  it("is exact at full ranks", () => {
    const [co, ci, k] = [6, 5, 9];
    const w = buildWeight(co, ci, k, 3);
    const unfoldIn = new Float32Array(w.length);
    for (let o = 0; o < co; o++) for (let c = 0; c < ci; c++) for (let s = 0; s < k; s++) unfoldIn[(c * co + o) * k + s] = w[(o * ci + c) * k + s];
    const uOut = computeExactSvd(w, co, ci * k);
    const uIn = computeExactSvd(unfoldIn, ci, co * k);
    const f = computeTucker2Factors(w, { co, ci, k }, uOut, uIn, co, ci);
    let err = 0;
    for (let o = 0; o < co; o++)
      for (let c = 0; c < ci; c++)
        for (let s = 0; s < k; s++) {
          let v = 0;
          for (let a = 0; a < co; a++) for (let b = 0; b < ci; b++) v += f.uo[o * co + a] * f.core[(a * ci + b) * k + s] * f.ui[c * ci + b];
          err = Math.max(err, Math.abs(v - w[(o * ci + c) * k + s]));
        }
    expect(err).toBeLessThan(1e-6);
  });

  it("finds the exact multilinear ranks of a strided, padded Conv and the 1×1 → 3×3 → 1×1 graph matches the original", async () => {
    const [co, ci] = [24, 20];
    const model = buildConvModel(buildWeight(co, ci, 9, 11, [4, 3]), co, ci);
    const r = await factorizeLowRank(model, { energy: 0.999999, minWeightElements: 64 });
    expect(r.report.layers).toEqual([
      expect.objectContaining({ node: "conv", method: "tucker2", ranks: [4, 3], shape: [co, ci], paramsBefore: co * ci * 9, paramsAfter: ci * 3 + 3 * 4 * 9 + 4 * co }),
    ]);
    // Stride 2: the first 1×1 runs on 4× the output pixels.
    expect(r.report.layers[0].macsAfter).toBe(ci * 3 * 4 + 3 * 4 * 9 + 4 * co);
    expect(r.model.graph!.node.map((n) => n.opType)).toEqual(["Conv", "Conv", "Conv"]);
    expect(relativeError(await runConv(model, ci), await runConv(r.model, ci))).toBeLessThan(1e-5);
  });

  it("truncated: the graph computes exactly the reconstructed weight, whose error is what the dropped energy says", async () => {
    const [co, ci] = [32, 32];
    const w = buildWeight(co, ci, 9, 5);
    const model = buildConvModel(w, co, ci);
    const r = await factorizeLowRank(model, { energy: 0.6, minSavings: 0, minWeightElements: 64 });
    const layer = r.report.layers[0];
    expect(layer.method).toBe("tucker2");
    expect(layer.ranks[0]).toBeLessThan(co);
    expect(layer.ranks[1]).toBeLessThan(ci);
    const wHat = reconstructFromModel(r.model, co, ci);
    // The factorized graph equals the original Conv with Ŵ (float32 rounding only).
    const withHat = buildConvModel(wHat, co, ci);
    expect(relativeError(await runConv(withHat, ci), await runConv(r.model, ci))).toBeLessThan(1e-5);
    // HOSVD: ‖W − Ŵ‖² = ‖W‖² − ‖core‖², and the report's energyKept is ‖core‖²/‖W‖².
    expect(relativeError(w, wHat) ** 2).toBeCloseTo(1 - layer.energyKept, 4);
    // Each mode drops at most 40% of the energy.
    expect(1 - layer.energyKept).toBeLessThanOrEqual(2 * 0.4 + 1e-6);
  });

  it("spatial mode keeps the two-Conv SVD, and a Tucker-2 that would not save MACs is skipped with the reason", async () => {
    const [co, ci] = [24, 20];
    const model = buildConvModel(buildWeight(co, ci, 9, 11, [4, 3]), co, ci);
    const spatial = await factorizeLowRank(model, { energy: 0.999999, minWeightElements: 64, conv: "spatial" });
    expect(spatial.report.layers[0]).toEqual(expect.objectContaining({ method: "svd", ranks: [4] }));
    expect(spatial.model.graph!.node.map((n) => n.opType)).toEqual(["Conv", "Conv"]);
    const full = await factorizeLowRank(buildConvModel(buildWeight(co, ci, 9, 2), co, ci), { energy: 0.99, minWeightElements: 64 });
    expect(full.report.layers).toHaveLength(0);
    expect(full.report.skipped[0].reason).toMatch(/Tucker-2 ranks \d+×\d+: \d+ parameters and \d+ MACs/);
  });
});
