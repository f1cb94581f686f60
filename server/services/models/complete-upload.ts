import { createHash } from "node:crypto";
import type { Readable } from "node:stream";
import { AppError } from "../../../contracts/app-error";
import type { Model } from "../../../generated/prisma/client";
import { inspectOnnxStream, type TOnnxSummary } from "../../../worker/onnx/inspect-onnx-stream";
import { getObjectStream } from "../../storage/object-store";
import type { TServiceCaller, TServiceDeps } from "../service-deps";
import { assertAcceptingParts, finishMultipartUpload } from "../uploads/multipart-upload";
import { findModelById } from "./find-model-by-id";

/**
 * Finishes an upload: assembles the parts, checks the stored size against the declared one, then reads the
 * object once, hashing it and validating it as ONNX in the same pass. Success leaves the model "ready" with
 * its SHA-256 and summary; any failure deletes the object and leaves the model "failed" with the reason,
 * so nothing half-stored remains.
 */
export async function completeUpload(
  deps: Pick<TServiceDeps, "prisma" | "store" | "config">,
  caller: TServiceCaller,
  input: { modelId: string; parts: Array<{ partNumber: number; etag: string }> },
): Promise<Model> {
  const model = await findModelById(deps, caller, input.modelId);
  const { uploadId, partCount } = assertAcceptingParts("model", model);
  const numbers = new Set(input.parts.map((p) => p.partNumber));
  const missing: number[] = [];
  for (let n = 1; n <= partCount; n++) if (!numbers.has(n)) missing.push(n);
  if (missing.length > 0 || numbers.size !== input.parts.length || numbers.size !== partCount) {
    throw new AppError("BAD_INPUT", {
      userMessage:
        missing.length > 0
          ? `the upload is incomplete: parts ${summarizeNumbers(missing)} of ${partCount} are missing`
          : `send each of the ${partCount} parts exactly once`,
    });
  }

  // Claim the completion: a second concurrent complete sees CONFLICT instead of racing us.
  const claimed = await deps.prisma.model.updateMany({
    where: { id: model.id, workspaceId: caller.workspaceId, state: "uploading" },
    data: { state: "validating" },
  });
  if (claimed.count === 0) {
    throw new AppError("CONFLICT", { userMessage: `model ${model.id} is already being completed` });
  }

  return finishMultipartUpload({
    store: deps.store,
    row: { ...model, uploadId },
    parts: input.parts,
    reopen: () => deps.prisma.model.update({ where: { id: model.id }, data: { state: "uploading" } }),
    markFailed: (error) => deps.prisma.model.update({ where: { id: model.id }, data: { state: "failed", error, uploadId: null } }),
    internalUserMessage: "the model could not be validated because of a problem on our side: upload it again",
    validate: async (storedBytes) => {
      const stream = await getObjectStream(deps.store, model.storageKey);
      const { sha256, summary } = await hashAndInspect(stream, deps.config.MAX_UPLOAD_BYTES);
      return deps.prisma.model.update({
        where: { id: model.id },
        data: { state: "ready", sha256, sizeBytes: BigInt(storedBytes), summary: summary as object, uploadId: null, error: null },
      });
    },
  });
}

/**
 * Feeds the object to the ONNX inspector while hashing every byte. The inspector may stop reading early
 * (it has seen enough); the rest is then drained into the hash so the SHA-256 always covers the whole file.
 */
export async function hashAndInspect(
  stream: Readable | AsyncIterable<Uint8Array>,
  maxBytes: number,
  inspect: (source: AsyncIterable<Uint8Array>, opts: { maxBytes: number }) => Promise<TOnnxSummary> = inspectOnnxStream,
): Promise<{ sha256: string; sizeBytes: number; summary: TOnnxSummary }> {
  const hash = createHash("sha256");
  let sizeBytes = 0;
  const source = (stream as AsyncIterable<Uint8Array>)[Symbol.asyncIterator]();
  let sourceDone = false;
  const pull = async (): Promise<IteratorResult<Uint8Array>> => {
    if (sourceDone) return { done: true, value: undefined };
    const next = await source.next();
    if (next.done) {
      sourceDone = true;
      return next;
    }
    hash.update(next.value);
    sizeBytes += next.value.byteLength;
    return next;
  };
  const tee: AsyncIterable<Uint8Array> = {
    [Symbol.asyncIterator]: () => ({
      next: pull,
      // The inspector breaking out of its loop must not close the underlying stream: we still need its bytes.
      return: async () => ({ done: true, value: undefined }),
    }),
  };
  try {
    const summary = await inspect(tee, { maxBytes });
    while (!(await pull()).done) {
      // draining into the hash
    }
    return { sha256: hash.digest("hex"), sizeBytes, summary };
  } finally {
    if (!sourceDone) await source.return?.();
  }
}

function summarizeNumbers(numbers: number[]): string {
  return numbers.length <= 10 ? numbers.join(", ") : `${numbers.slice(0, 10).join(", ")} and ${numbers.length - 10} more`;
}
