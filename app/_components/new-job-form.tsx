"use client";

import { useMutation, useQuery, useQueryClient } from "@tanstack/react-query";
import { useRouter } from "next/navigation";
import { useId, useState, type FormEvent } from "react";
import { parsePipelineJson } from "../../contracts/pipeline";
import { getUserMessage } from "../_lib/errors";
import { useTRPC } from "../_lib/trpc";
import { ErrorAlert } from "./error-alert";
import { Loading } from "./loading";

type TMode = "preset" | "pipeline";

/**
 * Starts a job for a ready model: pick a documented preset, or write a pipeline as JSON.
 * The JSON is checked with the same zod schema the API and worker use, so errors name the step and option
 * before anything is sent; whatever the API still rejects is shown the same way.
 */
export function NewJobForm({ modelId, disabledReason }: { modelId: string; disabledReason?: string }) {
  const trpc = useTRPC();
  const router = useRouter();
  const queryClient = useQueryClient();
  const ids = { preset: useId(), presetHelp: useId(), pipeline: useId(), pipelineHelp: useId(), pipelineError: useId() };
  const presets = useQuery(trpc.presets.list.queryOptions(undefined, { staleTime: Infinity }));
  const [mode, setMode] = useState<TMode>("preset");
  const [presetName, setPresetName] = useState<string>("");
  const [pipelineText, setPipelineText] = useState<string>("");
  const [pipelineError, setPipelineError] = useState<string | null>(null);

  const createJob = useMutation(
    trpc.jobs.create.mutationOptions({
      onSuccess: (job) => {
        void queryClient.invalidateQueries(trpc.jobs.list.pathFilter());
        router.push(`/jobs/${job.id}`);
      },
    }),
  );

  if (presets.isPending) return <Loading label="Loading presets…" />;
  if (presets.isError) return <ErrorAlert title="Could not load presets" message={getUserMessage(presets.error)} />;

  const selectedName = presetName || presets.data[0]?.name || "";
  const selected = presets.data.find((p) => p.name === selectedName);

  const switchMode = (next: TMode) => {
    setMode(next);
    // Start the editor from the chosen preset: editing a working pipeline beats writing one from scratch.
    if (next === "pipeline" && !pipelineText && selected) setPipelineText(JSON.stringify(selected.pipeline, null, 2));
  };

  const onSubmit = (e: FormEvent) => {
    e.preventDefault();
    createJob.reset();
    if (mode === "preset") {
      createJob.mutate({ modelId, preset: selectedName });
      return;
    }
    const parsed = parsePipelineJson(pipelineText);
    if (!parsed.ok) {
      setPipelineError(parsed.error);
      return;
    }
    setPipelineError(null);
    createJob.mutate({ modelId, pipeline: parsed.pipeline });
  };

  const disabled = Boolean(disabledReason) || createJob.isPending;

  return (
    <form className="form" onSubmit={onSubmit} aria-label="New job">
      <fieldset className="field">
        <legend>Pipeline</legend>
        <div className="radio-row">
          <label>
            <input type="radio" name="mode" value="preset" checked={mode === "preset"} onChange={() => switchMode("preset")} /> Preset
          </label>
          <label>
            <input type="radio" name="mode" value="pipeline" checked={mode === "pipeline"} onChange={() => switchMode("pipeline")} /> Custom pipeline (JSON)
          </label>
        </div>
      </fieldset>

      {mode === "preset" ? (
        <div className="field">
          <label htmlFor={ids.preset}>Preset</label>
          <select id={ids.preset} className="select" value={selectedName} onChange={(e) => setPresetName(e.target.value)} aria-describedby={ids.presetHelp}>
            {presets.data.map((p) => (
              <option key={p.name} value={p.name}>
                {p.name}
              </option>
            ))}
          </select>
          <span className="field__hint" id={ids.presetHelp} data-testid="preset-description">
            {selected?.description}
          </span>
        </div>
      ) : (
        <div className="field">
          <label htmlFor={ids.pipeline}>Pipeline JSON</label>
          <textarea
            id={ids.pipeline}
            className="textarea"
            spellCheck={false}
            value={pipelineText}
            onChange={(e) => {
              setPipelineText(e.target.value);
              if (pipelineError) setPipelineError(null);
            }}
            aria-invalid={pipelineError ? true : undefined}
            aria-describedby={`${ids.pipelineHelp}${pipelineError ? ` ${ids.pipelineError}` : ""}`}
          />
          <span className="field__hint" id={ids.pipelineHelp}>
            {'{ "steps": [ { "pass": "analyze", "options": { … } } ] }'} — passes run in order.
          </span>
          {pipelineError ? (
            <div className="field__error" role="alert" id={ids.pipelineError}>
              {pipelineError}
            </div>
          ) : null}
        </div>
      )}

      {createJob.error ? <ErrorAlert title="The job was not created" message={getUserMessage(createJob.error)} /> : null}
      {disabledReason ? <p className="muted small">{disabledReason}</p> : null}
      <div className="actions">
        <button className="button" type="submit" disabled={disabled}>
          {createJob.isPending ? "Starting…" : "Start job"}
        </button>
      </div>
    </form>
  );
}
