/**
 * Cancellation: engine code checks the job's AbortSignal between steps and inside long loops and throws
 * `PipelineAbortError`; the worker recognises it with `isAbortError` and records the job as canceled, not failed.
 */

export class PipelineAbortError extends Error {
  constructor(message = "the pipeline was canceled") {
    super(message);
    this.name = "AbortError";
  }
}

/** Throws PipelineAbortError when the signal is aborted. */
export function throwIfAborted(signal: AbortSignal | undefined): void {
  if (signal?.aborted) throw new PipelineAbortError();
}

/** True for errors caused by cancellation (ours, DOMException AbortError, or an abort reason we were given). */
export function isAbortError(err: unknown): boolean {
  return typeof err === "object" && err !== null && (err as { name?: string }).name === "AbortError";
}
