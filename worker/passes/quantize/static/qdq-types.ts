/**
 * Types shared by the QDQ planner and its per-op handlers. A handler looks at one node and records, in the plan,
 * which activations get QuantizeLinear→DequantizeLinear, which initializers become int8 weights (and on which
 * axis), which biases become int32, and which outputs reuse an input's scale.
 */
import type { TGraphProto, TNodeProto } from "../../../onnx/onnx-proto";
import type { TGraphIndex } from "../onnx-helpers";

export type TWeightSpec = {
  /** Channel axis for per-channel scales; undefined = per-tensor. */
  axis?: number;
};

export type TBiasSpec = {
  /** Activation whose scale multiplies the weight scale. */
  input: string;
  /** Weight initializer whose (per-channel) scales multiply the input scale. */
  weight: string;
};

/**
 * A planned HardSwish rewrite. `scaledBy` absorbs a following Mul by a positive scalar (a learnable scale): the
 * product is computed by the gated Mul itself (its x input dequantized with scale s·a/6), so that Mul disappears.
 */
export type THardSwishSpec = { scaledBy?: { mul: TNodeProto; factor: number } };

export type TQdqPlan = {
  /** Float activations to wrap in Q→DQ, each once, in the order they were planned. */
  activations: Set<string>;
  /** Initializers to store as int8 with a DequantizeLinear, and the nodes that read them through it. */
  weights: Map<string, TWeightSpec & { consumers: Set<TNodeProto> }>;
  /** Bias initializers (by node) to store as int32 with scale input_scale × weight_scale. */
  biases: Map<TNodeProto, TBiasSpec & { name: string }>;
  /** Output tensor -> input tensor whose quantization parameters it reuses (ORT drops DQ→op→Q for these). */
  sharedScales: Map<string, string>;
  /**
   * Float initializer inputs of planned arithmetic nodes (Add/Mul by a constant), by node: stored as uint8 behind a
   * DequantizeLinear so onnxruntime fuses the node into QLinearAdd/QLinearMul instead of running it in float.
   */
  constants: Map<TNodeProto, string[]>;
  /**
   * HardSwish nodes with quantized input and output, rewritten as x·relu6(x+3)/6 in QDQ form: onnxruntime's CPU
   * provider has no integer HardSwish/HardSigmoid, and QLinearAdd + QLinearMul on uint8 beat DQ → float → Q.
   */
  hardSwish: Map<TNodeProto, THardSwishSpec>;
};

/** The plan of a whole model: the union of all graphs' plans, plus each graph's own (main graph and bodies). */
export type TQdqModelPlan = TQdqPlan & { perGraph: Map<TGraphProto, TQdqPlan> };

export type TQdqPlanContext = {
  graph: TGraphProto;
  index: TGraphIndex;
  plan: TQdqPlan;
  /** Per-channel int8 weights requested (and possible: opset ≥ 13). */
  perChannel: boolean;
  /** True for a float activation with a calibrated range (not an initializer). */
  isQuantizableActivation: (name: string) => boolean;
  /** True for a float32 initializer. */
  isFloatWeight: (name: string) => boolean;
  /** True when the node is selected for quantization (op type listed, not excluded). */
  isSelected: (node: TNodeProto) => boolean;
  /** Plans Q/DQ on a node output, moving it past a following Relu/Clip so ORT can absorb the activation. */
  quantizeOutput: (node: TNodeProto, outputIndex?: number) => void;
};

/** Per-op behaviour: plans the Q/DQ for one node of its op types. */
export type TQdqHandler = {
  plan: (node: TNodeProto, ctx: TQdqPlanContext) => void;
};
