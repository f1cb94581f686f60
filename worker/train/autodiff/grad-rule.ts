/**
 * The contract between the autodiff engine and per-op gradient rules. A rule reads the forward node and the static
 * shapes of its values, and emits ONNX nodes computing the gradients of the node's inputs from the gradients of its
 * outputs. Rules live one file per op family under rules/ and are collected in GRAD_RULES.
 */
import type { TNodeProto } from "../../onnx/onnx-proto";
import type { GraphBuilder } from "./graph-builder";

export type TGradContext = {
  /** The forward node, as it sits in the training graph (a rule may add optional outputs such as MaxPool Indices). */
  node: TNodeProto;
  /** Emits gradient nodes and constants. */
  b: GraphBuilder;
  /** Static shape of a forward value (every value was observed at the training batch size). */
  shapeOf: (name: string) => number[];
  /** An int64/float constant input of the forward graph as numbers, or undefined when it is computed at run time. */
  readConstant: (name: string) => number[] | undefined;
  /** Gradient of the node's output i, or undefined when nothing downstream needs it. */
  gradOf: (outputIndex: number) => string | undefined;
  /** True when input i needs a gradient (a trainable parameter is upstream of it). */
  needsGrad: (inputIndex: number) => boolean;
  /** The model's default-domain opset (attribute-vs-input forms differ across opsets). */
  opset: number;
  /** Adds a new output to the forward node (e.g. MaxPool Indices) and returns its name. */
  addForwardOutput: (index: number, hint: string) => string;
};

/** Gradient names per input index; undefined where the input needs none. */
export type TInputGrads = (string | undefined)[];

export type TGradRule = {
  /** Input positions a gradient can flow to (e.g. only the data input of Reshape). Default: all. */
  differentiableInputs?: (node: TNodeProto) => readonly number[];
  /** Emits the gradient nodes. Throws AppError for attribute combinations the rule does not cover. */
  backward: (ctx: TGradContext) => TInputGrads;
};

/** Op type in the default ONNX domain. */
export type TOpType = string;
