/**
 * Tune jobs from the typed client (issue 10): create one, read it (trials + live report), follow it to the end.
 * Used by the CLI (`condense tune`) and scripts: `createTune(client.api, {...})`, `waitForTune(client.api, id)`.
 */
import type { inferRouterInputs, inferRouterOutputs } from "@trpc/server";
import type { createTRPCClient } from "@trpc/client";
import type { AppRouter } from "../server/api/root";

type TApi = ReturnType<typeof createTRPCClient<AppRouter>>;
export type TCreateTuneInput = inferRouterInputs<AppRouter>["tune"]["create"];
export type TTuneView = inferRouterOutputs<AppRouter>["tune"]["get"];

/** Queues a tune job; resolves to its job DTO (kind "tune"). */
export function createTune(api: TApi, input: TCreateTuneInput) {
  return api.tune.create.mutate(input);
}

/** The tune job, its trials and its report (live while running). */
export function getTune(api: TApi, jobId: string): Promise<TTuneView> {
  return api.tune.get.query({ jobId });
}

export type TWaitForTuneOptions = { pollMs?: number; signal?: AbortSignal; onUpdate?: (view: TTuneView) => void };

/** Polls until the tune job is succeeded, failed or canceled; `onUpdate` sees every poll (trials as they finish). */
export async function waitForTune(api: TApi, jobId: string, opts: TWaitForTuneOptions = {}): Promise<TTuneView> {
  const pollMs = opts.pollMs ?? 2000;
  for (;;) {
    opts.signal?.throwIfAborted();
    const view = await getTune(api, jobId);
    opts.onUpdate?.(view);
    if (["succeeded", "failed", "canceled"].includes(view.job.state)) return view;
    await new Promise<void>((resolve) => {
      const timer = setTimeout(resolve, pollMs);
      opts.signal?.addEventListener("abort", () => (clearTimeout(timer), resolve()), { once: true });
    });
  }
}
