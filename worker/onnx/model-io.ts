/**
 * Model-level decode/encode with errors a user understands. Everything user-facing about "is this an ONNX file"
 * lives here and in inspect-onnx-stream.ts, which share `describeNonOnnxSignature` and the validation rules.
 */
import { AppError } from "../../contracts/app-error";
import { ProtobufError, ProtobufReader } from "./protobuf-reader";
import { MODEL, decodeMessage, encodeProto, encodeProtoParts, type TModelProto } from "./onnx-proto";

/** Field numbers above this at the top level of a ModelProto mean the bytes are something else. */
export const MAX_PLAUSIBLE_MODEL_FIELD = 64;

/** Recognises common non-ONNX files from their first bytes so the error can say what the file looks like. */
export function describeNonOnnxSignature(head: Uint8Array): string | undefined {
  const starts = (...sig: number[]) => sig.every((b, i) => head[i] === b);
  if (starts(0x89, 0x50, 0x4e, 0x47)) return "it looks like a PNG image";
  if (starts(0xff, 0xd8, 0xff)) return "it looks like a JPEG image";
  if (starts(0x47, 0x49, 0x46, 0x38)) return "it looks like a GIF image";
  if (starts(0x50, 0x4b, 0x03, 0x04)) return "it looks like a zip archive (PyTorch .pt files are zips: export to ONNX first)";
  if (starts(0x1f, 0x8b)) return "it looks like a gzip archive: decompress it first";
  if (starts(0x25, 0x50, 0x44, 0x46)) return "it looks like a PDF document";
  if (starts(0x7f, 0x45, 0x4c, 0x46)) return "it looks like an executable (ELF)";
  if (starts(0x93, 0x4e, 0x55, 0x4d, 0x50, 0x59)) return "it looks like a NumPy .npy array";
  if (starts(0x80) && head[1] !== undefined && head[1] <= 5) return "it looks like a Python pickle (export to ONNX first)";
  if (starts(0x3c, 0x3f, 0x78, 0x6d, 0x6c) || starts(0x3c, 0x21) || starts(0x3c, 0x68, 0x74, 0x6d, 0x6c)) {
    return "it looks like an XML/HTML document";
  }
  if (starts(0x7b) || starts(0x5b)) return "it looks like JSON text";
  // TensorFlow Lite flatbuffers carry "TFL3" at offset 4.
  if (head[4] === 0x54 && head[5] === 0x46 && head[6] === 0x4c && head[7] === 0x33) return "it looks like a TensorFlow Lite model";
  return undefined;
}

/** Maps a low-level protobuf failure to the user-facing AppError. */
export function toModelDecodeError(err: unknown, head: Uint8Array): AppError {
  if (err instanceof AppError) return err;
  if (err instanceof ProtobufError) {
    const signature = describeNonOnnxSignature(head);
    if (signature) return notOnnx(signature, err);
    if (err.kind === "truncated") {
      return new AppError("UNPROCESSABLE", {
        userMessage: `the model file is truncated (${err.message}); upload the complete file`,
        message: `model decode failed: ${err.message}`,
        cause: err,
      });
    }
    if (err.kind === "too-deep") {
      return new AppError("UNPROCESSABLE", {
        userMessage: `the model is not supported: ${err.message}`,
        message: `model decode failed: ${err.message}`,
        cause: err,
      });
    }
    return notOnnx(`invalid protobuf data (${err.message})`, err);
  }
  return new AppError("INTERNAL", { userMessage: "the model could not be read", message: String(err), cause: err });
}

function notOnnx(reason: string, cause?: unknown): AppError {
  return new AppError("UNPROCESSABLE", {
    userMessage: `the file is not an ONNX model: ${reason}`,
    message: `not an ONNX model: ${reason}`,
    cause,
  });
}

/** Checks the decoded top level looks like a real model (protobuf happily parses many random byte strings). */
export function validateModelShape(
  model: { graph?: unknown; opsetImport: unknown[]; irVersion?: number; unknownFieldNumbers?: number[] },
  head: Uint8Array,
): void {
  const signature = describeNonOnnxSignature(head);
  if (signature) throw notOnnx(signature);
  if (model.unknownFieldNumbers?.some((n) => n > MAX_PLAUSIBLE_MODEL_FIELD)) {
    throw notOnnx("its contents do not match the ONNX format");
  }
  if (model.graph === undefined) {
    throw notOnnx("it has no graph (if this is an ONNX file, it may be truncated)");
  }
  if (model.irVersion === undefined || model.irVersion < 1 || model.irVersion > 100) {
    throw notOnnx(`it has no valid IR version (found ${model.irVersion ?? "none"})`);
  }
  if (model.opsetImport.length === 0) {
    throw new AppError("UNPROCESSABLE", {
      userMessage: "the model declares no opset (opset_import is missing); the file may be truncated or was not exported correctly",
    });
  }
}

/** Field number of each raw unknown field (for plausibility checks). */
export function unknownFieldNumbers(unknown: Uint8Array[] | undefined): number[] {
  if (!unknown) return [];
  return unknown.map((u) => {
    const r = new ProtobufReader(u);
    return r.uint32() >>> 3;
  });
}

/**
 * Decodes an ONNX model. Tensor `rawData` fields are views into `bytes` (no copy).
 * Malformed input → AppError UNPROCESSABLE with a user message ("the file is not an ONNX model: ...",
 * "the model file is truncated (...)", "the model is empty"); over `maxBytes` → PAYLOAD_TOO_LARGE.
 */
export function decodeModel(bytes: Uint8Array, opts: { maxBytes?: number } = {}): TModelProto {
  if (bytes.length === 0) throw new AppError("UNPROCESSABLE", { userMessage: "the model is empty (0 bytes)" });
  if (opts.maxBytes !== undefined && bytes.length > opts.maxBytes) {
    throw new AppError("PAYLOAD_TOO_LARGE", {
      userMessage: `the model is ${bytes.length} bytes, over the limit of ${opts.maxBytes} bytes`,
    });
  }
  const head = bytes.subarray(0, 16);
  const signature = describeNonOnnxSignature(head);
  if (signature) throw notOnnx(signature);
  let model: TModelProto;
  try {
    model = decodeMessage(new ProtobufReader(bytes), MODEL) as TModelProto;
  } catch (err) {
    throw toModelDecodeError(err, head);
  }
  validateModelShape({ ...model, unknownFieldNumbers: unknownFieldNumbers(model.unknownFields) }, head);
  return model;
}

/** Encodes a model into one buffer. Protobuf caps a message at 2 GiB: larger models need external data. */
export function encodeModel(model: TModelProto): Uint8Array {
  return encodeProto(MODEL, model);
}

/** Encodes a model as a list of byte parts, without the final concatenation (stream them to a file). */
export function encodeModelParts(model: TModelProto): Uint8Array[] {
  return encodeProtoParts(MODEL, model);
}
