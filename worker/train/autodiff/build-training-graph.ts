/**
 * Reverse-mode automatic differentiation on ONNX graphs. From a forward model and loss terms it builds one
 * training graph in standard ONNX ops (opset ≥ 17): forward + loss + the gradient of every trainable
 * initializer. Trainable parameters become graph inputs so an optimizer outside the graph can update them between
 * steps. The graph is specialised to one batch size: shapes are observed once (probe-shapes.ts) and baked in.
 */
import { AppError } from "../../../contracts/app-error";
import { DTYPE, readTensorValues } from "../../onnx/dtypes";
import { describeNode, listSubgraphs, readConstantNodeTensor, sortModelTopologically, sortNodesTopologically } from "../../onnx/graph";
import { createTensorValueInfo, type TModelProto, type TNodeProto, type TTensorProto } from "../../onnx/onnx-proto";
import { createNameFactory, getDefaultOpset } from "../../passes/quantize/onnx-helpers";
import { upgradeOpsetTo13 } from "../../passes/quantize/opset-upgrade";
import { fuseHardSwish } from "../../passes/quantize/graph-cleanups";
import { foldBatchNormIntoConv } from "../../passes/quantize/prepare";
import { GraphBuilder } from "./graph-builder";
import type { TGradContext, TGradRule, TOpType } from "./grad-rule";
import { GRAD_RULES } from "./grad-rules";
import { appendLossTerms, type TLossTarget, type TLossTerm } from "./loss-terms";
import { probeValueShapes } from "./probe-shapes";

export type TBuildTrainingGraphOptions = {
  /** Shapes of the model's inputs at the training batch size. */
  feedShapes: Record<string, readonly number[]>;
  losses: readonly TLossTerm[];
  /** Which float initializers train (default: every float32 initializer a gradient can reach). */
  isTrainable?: (t: TTensorProto) => boolean;
  /** Forward values returned by every step besides the loss (e.g. logits for training accuracy). */
  extraOutputs?: readonly string[];
  /** Rule table (tests inject partial tables). */
  rules?: ReadonlyMap<TOpType, TGradRule>;
  /**
   * Fold inference-form BatchNormalization into the preceding Conv before differentiating (default false). The
   * folded Conv is the same function with fewer parameters to feed and ~10 fewer gradient nodes per BN; the trained
   * model is then exported folded. Off for callers that need gradients of the original tensors (Taylor saliency).
   */
  foldBatchNorm?: boolean;
  /**
   * Fuse x·Clip(x+3, 0, 6)/6 and x·HardSigmoid(x) into HardSwish before differentiating (default false). The same
   * function in one forward node and one gradient rule instead of four nodes and their eight gradient nodes
   * (~15% of a MobileNetV3 step); the trained model is then exported with HardSwish (opset ≥ 14, which training
   * raises to anyway). Values named by loss terms or extra outputs are never fused away.
   */
  fuseHardSwish?: boolean;
};

export type TTrainableParam = { name: string; dims: number[]; gradName: string; initial: Float32Array };

export type TTrainingGraph = {
  /** Inputs: model inputs, loss targets, parameters. Outputs: loss, per-term losses, gradients, extra outputs. */
  model: TModelProto;
  /** The forward model the parameters belong to (opset raised, Constant weights lifted, BN folded if asked). */
  forward: TModelProto;
  lossName: string;
  termLossNames: string[];
  params: TTrainableParam[];
  targets: TLossTarget[];
  feedShapes: Record<string, number[]>;
  extraOutputs: string[];
};

/** Lowest opset the emitted gradient ops need (ScatterElements reduction="add" needs 16; RECIPE). */
export const TRAINING_OPSET = 17;

/** Builds the training graph. Throws AppError naming the op and node when a gradient rule is missing. */
export async function buildTrainingGraph(forward: TModelProto, opts: TBuildTrainingGraphOptions): Promise<TTrainingGraph> {
  const rules = opts.rules ?? GRAD_RULES;
  const model = prepareModel(forward);
  if (opts.foldBatchNorm) foldBatchNormIntoConv(model.graph!);
  if (opts.fuseHardSwish) fuseHardSwishKeeping(model, [...opts.losses.map((l) => l.output), ...(opts.extraOutputs ?? [])]);
  const preparedForward = structuredClone(model);
  const g = model.graph!;
  const opset = getDefaultOpset(model);

  const forwardInitializers = new Set(g.initializer.map((t) => t.name ?? ""));
  const forwardShapes = await probeValueShapes(model, opts.feedShapes);
  const b = new GraphBuilder(g, "train/");
  const { loss, termValues, targets } = appendLossTerms(b, opts.losses, (n) => requireShape(forwardShapes, n));
  g.node.push(...b.emitted.splice(0));
  const targetShapes: Record<string, number[]> = Object.fromEntries(targets.map((t) => [t.name, t.dims]));
  const shapes = await probeValueShapes(model, { ...opts.feedShapes, ...targetShapes });

  const order = sortNodesTopologically(g);
  const initByName = new Map(g.initializer.map((t) => [t.name ?? "", t]));
  const trainable = selectTrainable(order, initByName, rules, (t) => forwardInitializers.has(t.name ?? "") && (opts.isTrainable ?? isWeightLike)(t));

  // Values that depend on a trainable parameter, and values the loss depends on.
  const requiresGrad = new Set<string>(trainable);
  for (const n of order) {
    const diff = differentiableInputs(n, rules);
    if (n.input.some((x, i) => x !== "" && requiresGrad.has(x) && diff.includes(i))) for (const o of n.output) if (o) requiresGrad.add(o);
  }
  const feedsLoss = new Set<string>([loss]);
  for (let i = order.length - 1; i >= 0; i--) {
    const n = order[i]!;
    if (n.output.some((o) => feedsLoss.has(o))) for (const x of n.input) if (x) feedsLoss.add(x);
  }

  const contributions = new Map<string, string[]>([[loss, [b.constFloat([1], requireShape(shapes, loss))]]]);
  const gradOf = (name: string): string | undefined => {
    const list = contributions.get(name);
    if (!list || list.length === 0) return undefined;
    if (list.length > 1) contributions.set(name, [b.emit1("Sum", list)]);
    return contributions.get(name)![0];
  };
  const readConstant = (name: string): number[] | undefined => {
    const t = initByName.get(name) ?? findConstantNode(order, name);
    if (!t || trainable.has(name)) return undefined;
    return Array.from(readTensorValues(t) as ArrayLike<number | bigint>, (v) => Number(v));
  };

  for (let i = order.length - 1; i >= 0; i--) {
    const node = order[i]!;
    if (!node.output.some((o) => o && contributions.has(o))) continue;
    const diff = differentiableInputs(node, rules);
    const needs = node.input.map((x, k) => x !== "" && diff.includes(k) && requiresGrad.has(x) && feedsLoss.has(x));
    if (!needs.some(Boolean)) continue;
    const rule = rules.get(node.opType ?? "");
    if (!rule || (node.domain ?? "") !== "" || listSubgraphs(node).length > 0) throw missingRuleError(node);
    const ctx: TGradContext = {
      node,
      b,
      shapeOf: (name) => requireShape(shapes, name),
      readConstant,
      gradOf: (k) => (node.output[k] ? gradOf(node.output[k]!) : undefined),
      needsGrad: (k) => needs[k] === true,
      opset,
      addForwardOutput: (k, hint) => {
        const name = b.createName(hint);
        while (node.output.length < k) node.output.push("");
        node.output[k] = name;
        return name;
      },
    };
    const grads = rule.backward(ctx);
    grads.forEach((grad, k) => {
      if (!grad || !needs[k]) return;
      const x = node.input[k]!;
      const list = contributions.get(x);
      if (list) list.push(grad);
      else contributions.set(x, [grad]);
    });
  }

  const params: TTrainableParam[] = [];
  for (const name of trainable) {
    const grad = gradOf(name);
    if (!grad) continue;
    const t = initByName.get(name)!;
    const gradName = b.createName(`grad_${name}`);
    b.emitted.push({ opType: "Identity", input: [grad], output: [gradName], attribute: [], metadataProps: [] } as TNodeProto);
    params.push({ name, dims: [...t.dims], gradName, initial: Float32Array.from(readTensorValues(t) as Float32Array) });
  }
  if (params.length === 0) {
    throw new AppError("UNPROCESSABLE", { userMessage: "the model has no trainable float weights that influence the loss" });
  }

  g.node.push(...b.emitted);
  const paramNames = new Set(params.map((p) => p.name));
  g.initializer = g.initializer.filter((t) => !paramNames.has(t.name ?? ""));
  for (const p of params) g.input.push(createTensorValueInfo(p.name, DTYPE.FLOAT, p.dims));
  const extraOutputs = [...(opts.extraOutputs ?? [])];
  g.output = [loss, ...termValues.filter((v) => v !== loss), ...params.map((p) => p.gradName), ...extraOutputs].map((name) => ({ name, metadataProps: [] }));
  g.valueInfo = [];
  sortModelTopologically(model);
  return {
    model,
    forward: preparedForward,
    lossName: loss,
    termLossNames: termValues,
    params,
    targets,
    feedShapes: Object.fromEntries(Object.entries(opts.feedShapes).map(([k, v]) => [k, [...v]])),
    extraOutputs,
  };
}

/** Fuses hard-swish patterns; `keep` values are graph outputs meanwhile, so the fusion cannot remove them. */
function fuseHardSwishKeeping(model: TModelProto, keep: readonly string[]): void {
  const g = model.graph!;
  const outputs = g.output;
  g.output = [...outputs, ...keep.map((name) => ({ name, metadataProps: [] }))];
  try {
    fuseHardSwish(g, true);
  } finally {
    g.output = outputs;
  }
}

/** Copies the model, raises it to the training opset and turns float Constant nodes into initializers. */
function prepareModel(forward: TModelProto): TModelProto {
  const model = structuredClone(forward);
  if (!model.graph) throw new AppError("BAD_INPUT", { userMessage: "the model has no graph" });
  if (getDefaultOpset(model) < 13 && !upgradeOpsetTo13(model, createNameFactory(model))) {
    throw new AppError("UNPROCESSABLE", { userMessage: "training needs a model at opset 13 or later, and this one cannot be upgraded" });
  }
  const o = model.opsetImport.find((x) => !x.domain || x.domain === "ai.onnx")!;
  o.version = Math.max(o.version ?? 0, TRAINING_OPSET);
  if ((model.irVersion ?? 0) < 8) model.irVersion = 8;
  const g = model.graph;
  // Exporters often store weights in Constant nodes (PP-OCR): as initializers they can be trained like any other.
  g.node = g.node.filter((n) => {
    const t = readConstantNodeTensor(n);
    if (!t || t.dataType !== DTYPE.FLOAT || t.dims.length === 0) return true;
    g.initializer.push({ ...t, name: n.output[0] });
    return false;
  });
  return model;
}

/**
 * Default trainable set: float tensors with more than one element. Single-element constants are usually
 * hyper-parameters written as tensors (the 6 of a hard-swish, an epsilon) and must keep their value.
 */
function isWeightLike(t: TTensorProto): boolean {
  return t.dims.reduce((a, b) => a * b, 1) > 1;
}

function differentiableInputs(node: TNodeProto, rules: ReadonlyMap<TOpType, TGradRule>): readonly number[] {
  const rule = (node.domain ?? "") === "" ? rules.get(node.opType ?? "") : undefined;
  return rule?.differentiableInputs?.(node) ?? node.input.map((_, i) => i);
}

function selectTrainable(
  order: readonly TNodeProto[],
  initByName: ReadonlyMap<string, TTensorProto>,
  rules: ReadonlyMap<TOpType, TGradRule>,
  isTrainable: (t: TTensorProto) => boolean,
): Set<string> {
  const out = new Set<string>();
  for (const n of order) {
    const diff = differentiableInputs(n, rules);
    n.input.forEach((x, i) => {
      const t = initByName.get(x);
      if (!t || t.dataType !== DTYPE.FLOAT || !diff.includes(i)) return;
      if (isTrainable(t)) out.add(x);
    });
  }
  return out;
}

function findConstantNode(order: readonly TNodeProto[], name: string): TTensorProto | undefined {
  const n = order.find((x) => x.opType === "Constant" && x.output[0] === name);
  return n ? readConstantNodeTensor(n) : undefined;
}

function requireShape(shapes: ReadonlyMap<string, number[]>, name: string): number[] {
  const s = shapes.get(name);
  if (!s) throw new Error(`autodiff: no observed shape for value "${name}"`);
  return s;
}

function missingRuleError(node: TNodeProto): AppError {
  const op = `${node.domain ? `${node.domain}.` : ""}${node.opType}`;
  return new AppError("UNPROCESSABLE", {
    message: `no gradient rule for ${op} (node ${describeNode(node)})`,
    userMessage: `Training cannot differentiate the ${op} node "${describeNode(node)}": there is no gradient rule for ${op}. Freeze the layers before it or use a model without it.`,
    details: { opType: op, node: describeNode(node) },
  });
}
