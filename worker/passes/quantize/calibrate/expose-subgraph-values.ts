/**
 * Calibration needs the values of tensors that live inside If/Loop/Scan bodies, but onnxruntime only returns
 * main-graph outputs. This plumbs each wanted body value out, level by level:
 * - If: the branch that computes it gets an extra output (Identity of the value), the other branch an empty float
 *   tensor (If branches must have the same number of outputs; shapes may differ since opset 11), and the If node an
 *   extra output. A branch not taken in a batch therefore contributes nothing to the ranges.
 * - Loop/Scan: an extra scan output (the value of every iteration, stacked), and an extra node output.
 * The copy shares weights with the input model; only the touched graphs, nodes and output lists are new.
 */
import type { TGraphProto, TModelProto, TNodeProto, TValueInfoProto } from "../../../onnx/onnx-proto";
import { inferGraphTypes } from "../../fp16/infer-types";
import { cloneModel, createAttribute, createFloatTensor, createNodeProto, createNameFactory, DTYPE } from "../onnx-helpers";

export type TExposedModel = {
  model: TModelProto;
  /** Main-graph output name → the body tensor it carries (only for values that came out of a body). */
  outputToTensor: Map<string, string>;
  /** Wanted names found in no graph, or not known to be float (they stay uncalibrated, so float). */
  unreachable: string[];
};

const floatValue = (name: string): TValueInfoProto => ({ name, type: { tensorType: { elemType: DTYPE.FLOAT } }, metadataProps: [] }) as TValueInfoProto;

/**
 * A copy of `model` in which every wanted tensor computed inside a body is also a main-graph output.
 * Tensors of the main graph itself are left to the caller (they can be added as outputs directly).
 */
export function exposeSubgraphValues(model: TModelProto, wanted: readonly string[]): TExposedModel {
  const m = cloneModel(model);
  const namer = createNameFactory(m);
  const want = new Set(wanted);
  const main = m.graph!;
  const mainValues = new Set<string>([...main.input.map((i) => i.name ?? ""), ...main.initializer.map((t) => t.name ?? "")]);
  for (const n of main.node) for (const o of n.output) mainValues.add(o);
  const inBodies = new Set([...want].filter((n) => !mainValues.has(n)));
  const outputToTensor = new Map<string, string>();
  const found = new Set<string>();
  if (inBodies.size === 0) return { model: m, outputToTensor, unreachable: [] };

  /**
   * Adds, in graph `g`, outputs of its control-flow nodes for each wanted value computed below `g`; returns the map
   * carrier-name-in-g → original tensor. `types` are the element types visible in `g`.
   */
  const lift = (g: TGraphProto, outerTypes: ReadonlyMap<string, number>): Map<string, string> => {
    const types = inferGraphTypes(g, outerTypes);
    const carried = new Map<string, string>();
    for (const node of g.node) {
      const bodies = node.attribute.filter((a) => a.g).map((a) => ({ name: a.name ?? "", g: a.g! }));
      if (bodies.length === 0) continue;
      // Per body: value name inside the body → original tensor (own values plus what its nested nodes lift).
      const perBody = bodies.map((b) => {
        const bodyTypes = inferGraphTypes(b.g, types);
        const own = new Map<string, string>();
        for (const n of b.g.node) {
          for (const o of n.output) {
            if (inBodies.has(o) && bodyTypes.get(o) === DTYPE.FLOAT) own.set(o, o);
          }
        }
        for (const [k, v] of lift(b.g, types)) own.set(k, v);
        return own;
      });
      const originals = [...new Set(perBody.flatMap((p) => [...p.values()]))];
      if (originals.length === 0) continue;
      const op = node.opType ?? "";
      for (const original of originals) {
        const carrier = namer(`${original}_calibration`);
        if (op === "If") {
          perBody.forEach((p, i) => {
            const body = bodies[i].g;
            const inner = [...p.entries()].find(([, v]) => v === original)?.[0];
            const out = namer(`${carrier}_${bodies[i].name}`);
            if (inner) body.node.push(createNodeProto("Identity", [inner], [out], { name: namer(`${out}_Identity`) }));
            else body.node.push(constantEmptyFloat(out, namer));
            body.output.push(floatValue(out));
          });
        } else if (op === "Loop" || op === "Scan") {
          const idx = perBody.findIndex((p) => [...p.values()].includes(original));
          const body = bodies[idx].g;
          const inner = [...perBody[idx].entries()].find(([, v]) => v === original)![0];
          const out = namer(`${carrier}_iteration`);
          body.node.push(createNodeProto("Identity", [inner], [out], { name: namer(`${out}_Identity`) }));
          body.output.push(floatValue(out));
          if (op === "Scan") extendScanOutputAttributes(node);
        } else {
          continue;
        }
        node.output = [...node.output, carrier];
        carried.set(carrier, original);
        found.add(original);
      }
    }
    return carried;
  };

  const typesMain = new Map<string, number>();
  for (const [carrier, original] of lift(main, typesMain)) {
    main.output.push(floatValue(carrier));
    outputToTensor.set(carrier, original);
  }
  return { model: m, outputToTensor, unreachable: [...inBodies].filter((n) => !found.has(n)) };
}

function constantEmptyFloat(out: string, namer: (base: string) => string): TNodeProto {
  return createNodeProto("Constant", [], [out], {
    name: namer(`${out}_Constant`),
    attribute: [createAttribute("value", createFloatTensor("", [0], new Float32Array(0)))],
  });
}

/** Scan lists an axis and direction per scan output when the attributes are present: one more output, one more entry. */
function extendScanOutputAttributes(node: TNodeProto): void {
  for (const a of node.attribute) {
    if (a.name === "scan_output_axes" || a.name === "scan_output_directions") a.ints = [...a.ints, 0n];
  }
}
