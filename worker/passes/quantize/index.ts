/**
 * Function API of the quantization passes (used by the pipeline runner, `condense run`, the bench and the
 * sensitivity analysis). Every pass takes a model and returns a new one; the input model is never modified.
 */
export { detectQuantization, assertFloatModel, type TQuantizationKind, type TQuantizationDetection } from "./detect";
export { quantizeInt8Dynamic, runInt8Dynamic, type TInt8DynamicStats } from "./int8-dynamic";
export {
  quantizeInt8Static,
  runInt8Static,
  calibrateInt8Static,
  listInt8StaticNodes,
  measureLayerSensitivity,
  type TInt8StaticInput,
  type TLayerSensitivity,
  type TPassResult,
} from "./int8-static";
export { quantizeInt4Weights, runInt4Weight, type TInt4WeightInput, type TInt4WeightStats } from "./int4-weight";
export { convertToFp16, runFp16, type TFp16Stats } from "../fp16/convert-fp16";
export { prepareForQuantization, type TPrepareOptions, type TPrepareResult } from "./prepare";
export { createCalibrator, CALIBRATION_METHODS, type TCalibrator, type TCalibrationMethod, type TTensorRange } from "./calibrate/calibrator";
export { collectActivationRanges, type TCalibrationData } from "./calibrate/collect-ranges";
