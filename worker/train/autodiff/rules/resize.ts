/**
 * Gradient of Resize in nearest mode (opset ≥ 11 attributes). Nearest resizing is separable: along each resized
 * axis every output position copies one input position. Shapes are static, so the index map per axis is computed
 * here and the gradient is one MatMul per resized axis by a constant 0/1 matrix (which sums the gradients of
 * output positions that copied the same input position). For 2× upsampling of a 100-wide map that matrix is
 * 200×100 floats: far smaller than a per-element index map and no ScatterElements.
 */
import type { TGradContext, TGradRule } from "../grad-rule";
import { getAttrInt, getAttrString, throwUnsupported } from "./rule-utils";

/** Input index each output index reads along one axis, per the ONNX Resize spec (nearest). */
export function computeNearestIndices(
  inSize: number,
  outSize: number,
  scale: number,
  coordinateMode: string,
  nearestMode: string,
): number[] {
  const original = (o: number): number => {
    switch (coordinateMode) {
      case "half_pixel":
        return (o + 0.5) / scale - 0.5;
      case "pytorch_half_pixel":
        return outSize > 1 ? (o + 0.5) / scale - 0.5 : 0;
      case "align_corners":
        return outSize === 1 ? 0 : (o * (inSize - 1)) / (outSize - 1);
      case "asymmetric":
        return o / scale;
      case "tf_half_pixel_for_nearest":
        return (o + 0.5) / scale;
      case "half_pixel_symmetric": {
        const adjustment = outSize / (scale * inSize);
        const center = inSize / 2;
        const offset = center * (1 - adjustment);
        return offset + (o + 0.5) / scale - 0.5;
      }
      default:
        throw new Error(`unknown coordinate_transformation_mode ${coordinateMode}`);
    }
  };
  const round = (v: number): number => {
    switch (nearestMode) {
      case "round_prefer_floor":
        return v - Math.floor(v) === 0.5 ? Math.floor(v) : Math.round(v);
      case "round_prefer_ceil":
        return Math.round(v);
      case "floor":
        return Math.floor(v);
      case "ceil":
        return Math.ceil(v);
      default:
        throw new Error(`unknown nearest_mode ${nearestMode}`);
    }
  };
  return Array.from({ length: outSize }, (_, o) => Math.min(inSize - 1, Math.max(0, round(original(o)))));
}

const COORDINATE_MODES = new Set(["half_pixel", "pytorch_half_pixel", "align_corners", "asymmetric", "tf_half_pixel_for_nearest", "half_pixel_symmetric"]);
const NEAREST_MODES = new Set(["round_prefer_floor", "round_prefer_ceil", "floor", "ceil"]);

function readScales(ctx: TGradContext, xs: number[], ys: number[]): number[] {
  const scalesName = ctx.node.input[2];
  const scales = scalesName ? ctx.readConstant(scalesName) : undefined;
  if (scales && scales.length === xs.length) return scales;
  if (scalesName && !scales) throwUnsupported(ctx.node, "scales computed at run time");
  // Sizes given: the spec uses output size / input size as the scale.
  return ys.map((o, i) => o / xs[i]!);
}

const RESIZE: TGradRule = {
  differentiableInputs: () => [0],
  backward: (ctx) => {
    const node = ctx.node;
    if (ctx.opset < 11) throwUnsupported(node, "Resize before opset 11");
    const mode = getAttrString(node, "mode", "nearest") ?? "nearest";
    if (mode !== "nearest") throwUnsupported(node, `mode "${mode}" (only nearest has a gradient rule)`);
    if (getAttrInt(node, "antialias", 0) !== 0) throwUnsupported(node, "antialias");
    if (node.attribute.some((a) => a.name === "axes")) throwUnsupported(node, "the axes attribute");
    const coordinateMode = getAttrString(node, "coordinate_transformation_mode", "half_pixel") ?? "half_pixel";
    const nearestMode = getAttrString(node, "nearest_mode", "round_prefer_floor") ?? "round_prefer_floor";
    if (!COORDINATE_MODES.has(coordinateMode)) throwUnsupported(node, `coordinate_transformation_mode "${coordinateMode}"`);
    if (!NEAREST_MODES.has(nearestMode)) throwUnsupported(node, `nearest_mode "${nearestMode}"`);
    const xs = ctx.shapeOf(node.input[0]!);
    const ys = ctx.shapeOf(node.output[0]!);
    const scales = readScales(ctx, xs, ys);
    const rank = xs.length;
    const b = ctx.b;
    let g = ctx.gradOf(0)!;
    for (let axis = rank - 1; axis >= 0; axis--) {
      const idx = computeNearestIndices(xs[axis]!, ys[axis]!, scales[axis]!, coordinateMode, nearestMode);
      if (idx.length === xs[axis] && idx.every((v, i) => v === i)) continue;
      const [outSize, inSize] = [ys[axis]!, xs[axis]!];
      if (axis === rank - 1) {
        // [.., out] · M[out, in]
        const m = new Float32Array(outSize * inSize);
        idx.forEach((i, o) => (m[o * inSize + i] = 1));
        g = b.emit1("MatMul", [g, b.constFloat(m, [outSize, inSize])]);
      } else {
        // Bring the axis next to last, then M^T[in, out] · [.., out, last].
        const mT = new Float32Array(inSize * outSize);
        idx.forEach((i, o) => (mT[i * outSize + o] = 1));
        const swap = Array.from({ length: rank }, (_, i) => i);
        if (axis !== rank - 2) [swap[axis], swap[rank - 2]] = [rank - 2, axis];
        const moved = axis === rank - 2 ? g : b.emit1("Transpose", [g], { perm: { ints: swap } });
        const product = b.emit1("MatMul", [b.constFloat(mT, [inSize, outSize]), moved]);
        g = axis === rank - 2 ? product : b.emit1("Transpose", [product], { perm: { ints: swap } });
      }
    }
    return [g];
  },
};

export const RESIZE_RULES: [string, TGradRule][] = [["Resize", RESIZE]];
