/**
 * Dense float64 matrix products on onnxruntime (one Gemm session per transpose mode). ORT's CPU Gemm is blocked,
 * SIMD and multi-threaded: a 4096×4096 by 4096×522 product takes ~0.2–0.4 s on 2 cores against minutes in plain JS,
 * which is what makes the randomized SVD of big weights practical. float64 keeps Cholesky-QR well conditioned.
 */
import { DTYPE } from "../../onnx/dtypes";
import { encodeModel } from "../../onnx/model-io";
import { createAttribute, createEmptyGraphProto, createNodeProto, createTensorValueInfo, type TModelProto } from "../../onnx/onnx-proto";
import { createInferenceSession, type TInferenceSession } from "../../runtime/ort";

/** Row-major float64 products; `a` is rows×cols as stored. */
export type TMatrixMultiplier = {
  /** a (m×k) · b (k×n) → m×n. */
  multiply: (a: Float64Array, m: number, k: number, b: Float64Array, n: number) => Promise<Float64Array>;
  /** aᵀ · b with a stored k×m and b k×n → m×n (Gram matrices, Aᵀ·Q) without materializing aᵀ. */
  multiplyTransposed: (a: Float64Array, k: number, m: number, b: Float64Array, n: number) => Promise<Float64Array>;
  release: () => Promise<void>;
};

function buildGemmModel(transA: boolean): TModelProto {
  const g = createEmptyGraphProto(transA ? "gemm_tn" : "gemm_nn");
  g.input.push(createTensorValueInfo("a", DTYPE.DOUBLE, transA ? ["k", "m"] : ["m", "k"]));
  g.input.push(createTensorValueInfo("b", DTYPE.DOUBLE, ["k", "n"]));
  g.output.push(createTensorValueInfo("y", DTYPE.DOUBLE, ["m", "n"]));
  g.node.push(createNodeProto("Gemm", ["a", "b"], ["y"], { name: "gemm", attribute: transA ? [createAttribute("transA", 1, { asInt: true })] : [] }));
  return {
    irVersion: 8,
    producerName: "condense",
    producerVersion: "1",
    opsetImport: [{ domain: "", version: 13 }],
    graph: g,
    metadataProps: [],
    trainingInfo: [],
    functions: [],
  };
}

/** Opens the two Gemm sessions; release them when done. */
export async function createMatrixMultiplier(opts: { intraOpThreads?: number } = {}): Promise<TMatrixMultiplier> {
  const sessions: TInferenceSession[] = [];
  try {
    sessions.push(await createInferenceSession(encodeModel(buildGemmModel(false)), opts));
    sessions.push(await createInferenceSession(encodeModel(buildGemmModel(true)), opts));
  } catch (err) {
    await Promise.all(sessions.map((s) => s.release()));
    throw err;
  }
  const [nn, tn] = sessions;
  const run = async (s: TInferenceSession, a: Float64Array, aDims: number[], b: Float64Array, bDims: number[]) => {
    const out = await s.run({ a: { type: "float64", dims: aDims, data: a }, b: { type: "float64", dims: bDims, data: b } });
    return out.y.data as Float64Array;
  };
  return {
    multiply: (a, m, k, b, n) => run(nn, a, [m, k], b, [k, n]),
    multiplyTransposed: (a, k, m, b, n) => run(tn, a, [k, m], b, [k, n]),
    release: async () => {
      await Promise.all(sessions.map((s) => s.release()));
    },
  };
}
