/**
 * The depth-reduced student (issue 5, students (c)): for graphs made of repeated blocks — transformer layers,
 * identical residual stages — a copy with some of the repeated blocks removed, keeping the weights of the others
 * (DistilBERT builds its student the same way: every other layer of the teacher). Distillation then trains the
 * shallower copy to match the teacher.
 *
 * How blocks are found, without knowing the architecture:
 *   1. Cut points: walking the nodes in topological order, a value is a cut when it is the only live value at that
 *      point (everything after it depends on the graph only through it). Between two cuts lies a segment.
 *   2. Each segment gets a structural signature: op types, attributes, weight shapes and how its nodes connect.
 *   3. A run is a sequence of ≥ 2 consecutive units of the same signature, a unit being 1..MAX_UNIT_SEGMENTS
 *      segments (a transformer layer is two: attention + residual, MLP + residual).
 *   4. Only units whose output has the same observed shape as their input are removable: dropping them leaves every
 *      later shape unchanged.
 */
import { AppError } from "../../../contracts/app-error";
import type { TValueShapes } from "../../evaluate/count-macs";
import { listOuterScopeInputs, listSubgraphs, sortNodesTopologically } from "../../onnx/graph";
import type { TAttributeProto, TGraphProto, TModelProto, TNodeProto } from "../../onnx/onnx-proto";
import { createNodeProto } from "../../onnx/index";
import { cloneModel } from "../quantize/onnx-helpers";

/** Longest repeating unit tried, in segments. */
const MAX_UNIT_SEGMENTS = 8;

type TSegment = { input: string; output: string; nodes: TNodeProto[]; signature: string };

/** One repeated block: where it starts and ends, and the nodes it is made of. */
export type TRepeatedUnit = { input: string; output: string; nodeNames: string[] };

/** A sequence of ≥ 2 consecutive, structurally identical, shape-preserving units. */
export type TRepeatedRun = { segmentsPerUnit: number; units: TRepeatedUnit[] };

export type TDepthReduction = {
  model: TModelProto;
  /** Repeated units found (over all runs) and how many remain. */
  blocksBefore: number;
  blocksAfter: number;
  /** "first node … last node" of every removed unit, for the report. */
  removed: string[];
  nodesBefore: number;
  nodesAfter: number;
};

/** Values every node reads, including the outer-scope values its subgraphs read. */
function listNodeReads(node: TNodeProto): string[] {
  const reads = new Set(node.input.filter((x) => x !== ""));
  for (const sub of listSubgraphs(node)) for (const x of listOuterScopeInputs(sub.graph)) reads.add(x);
  return [...reads];
}

function describeAttribute(a: TAttributeProto): string {
  if (a.g || a.graphs.length > 0) return `${a.name}=<graph>`;
  if (a.t) return `${a.name}=<tensor ${a.t.dataType} ${a.t.dims.join("x")}>`;
  const value = a.ints.length > 0 ? a.ints.join(",") : a.floats.length > 0 ? a.floats.join(",") : a.s ? Buffer.from(a.s).toString("latin1") : `${a.i ?? ""}${a.f ?? ""}`;
  return `${a.name}=${value}`;
}

/**
 * Splits the main graph into segments between cut values and signs them. Constants (initializers, Constant nodes)
 * are never live values: every block may read them.
 */
function splitIntoSegments(graph: TGraphProto): TSegment[] {
  const nodes = sortNodesTopologically(graph);
  const initializerDims = new Map(graph.initializer.map((t) => [t.name ?? "", t.dims.join("x")]));
  const constants = new Set(initializerDims.keys());
  for (const n of nodes) if (n.opType === "Constant" && (n.domain ?? "") === "") for (const o of n.output) constants.add(o);
  const graphOutputs = new Set(graph.output.map((o) => o.name ?? ""));

  const lastUse = new Map<string, number>();
  nodes.forEach((n, i) => {
    for (const x of listNodeReads(n)) if (!constants.has(x)) lastUse.set(x, i);
  });
  for (const o of graphOutputs) lastUse.set(o, Infinity);

  // Values live before the first node: the graph inputs something reads.
  const live = new Set(graph.input.map((v) => v.name ?? "").filter((name) => lastUse.has(name) && !constants.has(name)));
  const cuts: { afterNode: number; value: string }[] = [];
  if (live.size === 1) cuts.push({ afterNode: -1, value: [...live][0] });
  nodes.forEach((n, i) => {
    for (const x of listNodeReads(n)) if (lastUse.get(x) === i) live.delete(x);
    if (n.opType === "Constant") return;
    for (const o of n.output) if (o !== "" && (lastUse.get(o) ?? -1) > i) live.add(o);
    if (live.size === 1) cuts.push({ afterNode: i, value: [...live][0] });
  });

  const segments: TSegment[] = [];
  for (let c = 1; c < cuts.length; c++) {
    const from = cuts[c - 1];
    const to = cuts[c];
    const segNodes = nodes.slice(from.afterNode + 1, to.afterNode + 1).filter((n) => n.opType !== "Constant");
    if (segNodes.length === 0) continue;
    const position = new Map<string, string>();
    position.set(from.value, "in");
    const parts = segNodes.map((n, k) => {
      const inputs = n.input.map((x) => {
        if (x === "") return "-";
        const p = position.get(x);
        if (p !== undefined) return p;
        const dims = initializerDims.get(x);
        return dims !== undefined ? `W[${dims}]` : constants.has(x) ? "C" : "?";
      });
      n.output.forEach((o, j) => position.set(o, `${k}.${j}`));
      return `${n.domain ?? ""}:${n.opType}(${inputs.join(",")}){${n.attribute.map(describeAttribute).join(";")}}`;
    });
    // A segment whose nodes read a value from before its input (other than constants) is not self-contained.
    if (parts.some((p) => p.includes("?"))) continue;
    segments.push({ input: from.value, output: to.value, nodes: segNodes, signature: parts.join(" ") });
  }
  return segments;
}

function sameDims(a: number[] | undefined, b: number[] | undefined): boolean {
  return a !== undefined && b !== undefined && a.length === b.length && a.every((d, i) => d === b[i]);
}

/**
 * Finds runs of repeated, shape-preserving blocks in the main graph. `shapes` are observed value shapes
 * (`observeValueShapes`), graph inputs included.
 */
export function findRepeatedBlocks(model: TModelProto, shapes: TValueShapes): TRepeatedRun[] {
  const segments = splitIntoSegments(model.graph!);
  const runs: TRepeatedRun[] = [];
  const sameUnit = (a: number, b: number, p: number) => {
    for (let k = 0; k < p; k++) {
      // Consecutive segments must chain: the next one starts where the previous ended.
      if (segments[a + k].signature !== segments[b + k].signature) return false;
      if (b + k > 0 && segments[b + k].input !== segments[b + k - 1].output) return false;
    }
    return true;
  };
  let i = 0;
  while (i < segments.length) {
    let best: { p: number; count: number } | undefined;
    for (let p = 1; p <= MAX_UNIT_SEGMENTS && i + 2 * p <= segments.length; p++) {
      let count = 1;
      while (i + (count + 1) * p <= segments.length && sameUnit(i, i + count * p, p)) count++;
      if (count < 2) continue;
      const units = Array.from({ length: count }, (_, u) => ({ input: segments[i + u * p].input, output: segments[i + u * p + p - 1].output }));
      if (!units.every((u) => sameDims(shapes.get(u.input), shapes.get(u.output)))) continue;
      if (!best || p * count > best.p * best.count) best = { p, count };
    }
    if (!best) {
      i++;
      continue;
    }
    const { p, count } = best;
    runs.push({
      segmentsPerUnit: p,
      units: Array.from({ length: count }, (_, u) => {
        const unitNodes = segments.slice(i + u * p, i + (u + 1) * p).flatMap((s) => s.nodes);
        return {
          input: segments[i + u * p].input,
          output: segments[i + u * p + p - 1].output,
          nodeNames: unitNodes.map((n) => n.name || n.output[0] || ""),
        };
      }),
    });
    i += p * count;
  }
  return runs;
}

/**
 * Which units of a run of `n` to drop for a share `dropFraction`: evenly spread, always keeping the first unit
 * (it sees the run's input distribution) — for n = 4 and 0.5, units 1 and 3 go.
 */
export function chooseUnitsToDrop(n: number, dropFraction: number): number[] {
  const dropCount = Math.min(n - 1, Math.floor(n * dropFraction + 1e-9));
  if (dropCount <= 0) return [];
  const keepCount = n - dropCount;
  const keep = new Set(Array.from({ length: keepCount }, (_, k) => Math.floor((k * n) / keepCount)));
  return Array.from({ length: n }, (_, u) => u).filter((u) => !keep.has(u));
}

/**
 * Returns a copy of the model without `dropFraction` of the units of every repeated run (weights of the kept units
 * unchanged). Throws BAD_INPUT when the model has no repeated, shape-preserving blocks.
 */
export function reduceDepth(model: TModelProto, shapes: TValueShapes, dropFraction: number): TDepthReduction {
  const runs = findRepeatedBlocks(model, shapes);
  const blocksBefore = runs.reduce((s, r) => s + r.units.length, 0);
  const toDrop = runs.flatMap((r) => chooseUnitsToDrop(r.units.length, dropFraction).map((u) => r.units[u]));
  if (toDrop.length === 0) {
    throw new AppError("BAD_INPUT", {
      userMessage:
        blocksBefore === 0
          ? "no repeated blocks were found in this model (a depth-reduced student needs ≥ 2 consecutive identical, shape-preserving blocks, e.g. transformer layers)"
          : `dropping ${Math.round(dropFraction * 100)}% of ${blocksBefore} repeated blocks removes none: raise dropRepeatedBlocks`,
    });
  }
  // Structural copy: node lists and inputs are rewritten below, tensor bytes are never written, so they are shared.
  const copy = cloneModel(model);
  const g = copy.graph!;
  const nodesBefore = g.node.length;
  const removedNames = new Set<string>();
  const rename = new Map<string, string>();
  const resolve = (x: string): string => {
    let y = x;
    while (rename.has(y)) y = rename.get(y)!;
    return y;
  };
  for (const unit of toDrop) {
    for (const name of unit.nodeNames) removedNames.add(name);
    rename.set(unit.output, unit.input);
  }
  g.node = g.node.filter((n) => !removedNames.has(n.name || n.output[0] || ""));
  for (const n of g.node) n.input = n.input.map((x) => (x === "" ? x : resolve(x)));
  // A dropped unit that produced a graph output: the output keeps its name through an Identity.
  for (const o of g.output) {
    const name = o.name ?? "";
    if (rename.has(name)) g.node.push(createNodeProto("Identity", [resolve(name)], [name], { name: `${name}_depth_reduced_Identity` }));
  }
  const used = new Set<string>(g.output.map((o) => o.name ?? ""));
  for (const n of g.node) for (const x of listNodeReads(n)) used.add(x);
  g.initializer = g.initializer.filter((t) => used.has(t.name ?? ""));
  const produced = new Set(g.node.flatMap((n) => n.output));
  g.valueInfo = g.valueInfo.filter((v) => produced.has(v.name ?? ""));
  g.node = sortNodesTopologically(g);
  return {
    model: copy,
    blocksBefore,
    blocksAfter: blocksBefore - toDrop.length,
    removed: toDrop.map((u) => `${u.nodeNames[0]} … ${u.nodeNames[u.nodeNames.length - 1]}`),
    nodesBefore,
    nodesAfter: g.node.length,
  };
}
