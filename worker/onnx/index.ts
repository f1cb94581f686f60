/** ONNX model IO: the codec, dtypes, graph wrapper, external data and the streaming inspector. */
export * from "./onnx-proto";
export * from "./model-io";
export * from "./dtypes";
export * from "./tensor-info";
export * from "./inspect-onnx-stream";
export * from "./graph";
export * from "./external-data";
