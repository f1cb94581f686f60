import type { TApi, TJob } from "./index";

export type TWaitOptions = {
  /** Called with every polled state of the job (state, stage, progress). */
  onProgress?: (job: TJob) => void;
  signal?: AbortSignal;
  /** Poll interval (default 1000 ms). */
  pollMs?: number;
};

const TERMINAL = new Set(["succeeded", "failed", "canceled"]);

/** Polls a job until it reaches a terminal state and returns it. Rejects only on abort or API errors. */
export async function waitForJob(api: TApi, jobId: string, opts: TWaitOptions = {}): Promise<TJob> {
  const pollMs = opts.pollMs ?? 1000;
  for (;;) {
    opts.signal?.throwIfAborted();
    let job: TJob;
    try {
      job = await api.jobs.get.query({ jobId }, { signal: opts.signal });
    } catch (err) {
      // Aborted mid-request: report the caller's reason, not the transport's "operation was aborted".
      if (opts.signal?.aborted) throw opts.signal.reason;
      throw err;
    }
    opts.onProgress?.(job);
    if (TERMINAL.has(job.state)) return job;
    await new Promise<void>((resolve, reject) => {
      const timer = setTimeout(resolve, pollMs);
      opts.signal?.addEventListener("abort", () => {
        clearTimeout(timer);
        reject(opts.signal!.reason);
      }, { once: true });
    });
  }
}
