/**
 * The gradient rule registry: op type (default ONNX domain) -> rule. One file per op family under rules/.
 * An op on the gradient path that is missing here fails training with an error naming the op and the node.
 */
import type { TGradRule, TOpType } from "./grad-rule";
import { ACTIVATION_RULES } from "./rules/activation";
import { CONV_RULES } from "./rules/conv";
import { ELEMENTWISE_RULES } from "./rules/elementwise";
import { MATMUL_RULES } from "./rules/matmul";
import { NORMALIZATION_RULES } from "./rules/normalization";
import { POOL_RULES } from "./rules/pool";
import { REDUCE_RULES } from "./rules/reduce";
import { RESIZE_RULES } from "./rules/resize";
import { SHAPE_RULES } from "./rules/shape";

export const GRAD_RULES: ReadonlyMap<TOpType, TGradRule> = new Map([
  ...ELEMENTWISE_RULES,
  ...ACTIVATION_RULES,
  ...MATMUL_RULES,
  ...CONV_RULES,
  ...POOL_RULES,
  ...SHAPE_RULES,
  ...REDUCE_RULES,
  ...NORMALIZATION_RULES,
  ...RESIZE_RULES,
]);
