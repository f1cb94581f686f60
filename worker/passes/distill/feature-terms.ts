/**
 * Feature and attention distillation terms. A feature pair names an intermediate tensor of the teacher and one of
 * the student; their MSE joins the loss. When the two differ in width along one axis (a pruned or narrower student)
 * a learned adapter maps the student tensor to the teacher's width: a 1×1 Conv for channel axis 1 of [N, C, ...]
 * tensors, a MatMul for the last axis. Adapters train with the student and are removed from the exported model.
 * Attention distillation pairs the Softmax outputs inside both graphs (not the model's outputs) and adds their MSE.
 */
import { AppError } from "../../../contracts/app-error";
import { DTYPE, createTensor } from "../../onnx/dtypes";
import { describeNode } from "../../onnx/graph";
import { createAttribute, createNodeProto, type TModelProto } from "../../onnx/onnx-proto";
import { createNormalRandom } from "../../train/random";

/** Name prefix of every node and initializer an adapter adds (how removeFeatureAdapters finds them). */
export const ADAPTER_PREFIX = "distill_adapter/";

export type TFeaturePair = { teacher: string; student: string; weight: number };

/** One planned MSE term: the student-side value to compare (adapter output or the feature itself). */
export type TFeatureTerm = TFeaturePair & {
  /** Student value the loss reads (the adapter's output when there is one). */
  output: string;
  adapter?: { kind: "conv1x1" | "matmul"; axis: number; rank: number; studentWidth: number; teacherWidth: number };
};

/**
 * Checks the pairs against observed shapes (batch dimension excluded) and plans adapters. Throws AppError naming
 * the tensor when a name is unknown or the shapes differ in more than one axis.
 */
export function planFeatureTerms(
  pairs: readonly TFeaturePair[],
  teacherShapes: ReadonlyMap<string, readonly number[]>,
  studentShapes: ReadonlyMap<string, readonly number[]>,
): TFeatureTerm[] {
  return pairs.map((p, i) => {
    const ts = teacherShapes.get(p.teacher);
    const ss = studentShapes.get(p.student);
    if (!ts) throw new AppError("BAD_INPUT", { userMessage: `feature ${i + 1}: the teacher has no tensor named "${p.teacher}"` });
    if (!ss) throw new AppError("BAD_INPUT", { userMessage: `feature ${i + 1}: the student has no tensor named "${p.student}"` });
    const mismatch = () =>
      new AppError("BAD_INPUT", {
        userMessage: `feature ${i + 1}: teacher "${p.teacher}" [${ts.join(", ")}] and student "${p.student}" [${ss.join(", ")}] must have the same shape except the width of one axis (channels or last)`,
      });
    if (ts.length !== ss.length || ts.length < 2) throw mismatch();
    const differing = ts.map((d, k) => (k > 0 && d !== ss[k] ? k : -1)).filter((k) => k >= 0);
    if (differing.length === 0) return { ...p, output: p.student };
    const axis = differing[0]!;
    if (differing.length > 1 || (axis !== 1 && axis !== ts.length - 1)) throw mismatch();
    const kind = axis === ts.length - 1 ? "matmul" : "conv1x1";
    return { ...p, output: "", adapter: { kind, axis, rank: ts.length, studentWidth: ss[axis]!, teacherWidth: ts[axis]! } };
  });
}

/**
 * A copy of `student` with the planned adapters appended (weights initialised N(0, 1/width_in), seeded); fills each
 * term's `output`. The adapters' weights are ordinary float initializers, so the training graph trains them.
 */
export function addFeatureAdapters(student: TModelProto, terms: TFeatureTerm[], seed: number): TModelProto {
  const model = structuredClone(student);
  const g = model.graph!;
  const normal = createNormalRandom(seed);
  terms.forEach((t, i) => {
    if (!t.adapter) return;
    const { kind, studentWidth: cin, teacherWidth: cout } = t.adapter;
    const w = `${ADAPTER_PREFIX}${i}/weight`;
    const out = `${ADAPTER_PREFIX}${i}/output`;
    const values = Float32Array.from({ length: cin * cout }, () => normal() / Math.sqrt(cin));
    if (kind === "matmul") {
      // MatMul weight is [in, out]; the values are i.i.d., so their layout needs no transposition.
      g.initializer.push(createTensor(w, DTYPE.FLOAT, [cin, cout], values));
      g.node.push(createNodeProto("MatMul", [t.student, w], [out], { name: `${ADAPTER_PREFIX}${i}/matmul` }));
    } else {
      const rank = t.adapter.rank;
      g.initializer.push(createTensor(w, DTYPE.FLOAT, [cout, cin, ...Array(rank - 2).fill(1)], values));
      g.node.push(createNodeProto("Conv", [t.student, w], [out], { name: `${ADAPTER_PREFIX}${i}/conv`, attribute: [createAttribute("group", 1, { asInt: true })] }));
    }
    t.output = out;
  });
  return model;
}

/** Removes adapter nodes and weights (the exported student must be the user's graph, nothing more). */
export function removeFeatureAdapters(model: TModelProto): TModelProto {
  const g = model.graph!;
  g.node = g.node.filter((n) => !(n.name ?? "").startsWith(ADAPTER_PREFIX));
  g.initializer = g.initializer.filter((t) => !(t.name ?? "").startsWith(ADAPTER_PREFIX));
  g.valueInfo = g.valueInfo.filter((v) => !(v.name ?? "").startsWith(ADAPTER_PREFIX));
  return model;
}

/**
 * Attention pairs: Softmax outputs inside both graphs (model outputs excluded), matched by value name when the
 * student kept the teacher's names (a pruned teacher), else in graph order when both have the same count.
 * Pairs whose shapes differ are left out and named in `skipped`.
 */
export function findAttentionPairs(
  teacher: TModelProto,
  student: TModelProto,
  teacherShapes: ReadonlyMap<string, readonly number[]>,
  studentShapes: ReadonlyMap<string, readonly number[]>,
): { pairs: { teacher: string; student: string }[]; skipped: string[] } {
  const softmaxOutputs = (m: TModelProto) => {
    const outputs = new Set(m.graph!.output.map((o) => o.name ?? ""));
    return m.graph!.node.filter((n) => n.opType === "Softmax" && !outputs.has(n.output[0]!)).map((n) => ({ value: n.output[0]!, node: describeNode(n) }));
  };
  const t = softmaxOutputs(teacher);
  const s = softmaxOutputs(student);
  const sNames = new Set(s.map((x) => x.value));
  let candidates: { teacher: string; student: string }[];
  if (t.length > 0 && t.every((x) => sNames.has(x.value))) candidates = t.map((x) => ({ teacher: x.value, student: x.value }));
  else if (t.length === s.length) candidates = t.map((x, i) => ({ teacher: x.value, student: s[i]!.value }));
  else {
    throw new AppError("BAD_INPUT", {
      userMessage: `attention distillation needs matching Softmax layers: the teacher has ${t.length} inside its graph, the student ${s.length}`,
    });
  }
  const pairs: { teacher: string; student: string }[] = [];
  const skipped: string[] = [];
  for (const c of candidates) {
    const a = teacherShapes.get(c.teacher);
    const b = studentShapes.get(c.student);
    if (a && b && a.length === b.length && a.every((d, k) => k === 0 || d === b[k])) pairs.push(c);
    else skipped.push(`${c.teacher} ↔ ${c.student}`);
  }
  return { pairs, skipped };
}
