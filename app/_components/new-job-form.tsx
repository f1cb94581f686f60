"use client";

import { useMutation, useQuery, useQueryClient } from "@tanstack/react-query";
import { useRouter } from "next/navigation";
import { useId, useMemo, useState, type FormEvent } from "react";
import { parsePipelineJson } from "../../contracts/pipeline";
import { getUserMessage } from "../_lib/errors";
import { buildPipelineValue, draftFromStep, listPassForms, validateDrafts, type TFieldErrors, type TStepDraft } from "../_lib/pipeline-fields";
import { useTRPC } from "../_lib/trpc";
import { DatasetPicker } from "./dataset-picker";
import { ErrorAlert } from "./error-alert";
import { Loading } from "./loading";
import { PipelineBuilder } from "./pipeline-builder";

type TMode = "preset" | "builder" | "json";

function draftsFromPipeline(pipeline: unknown, forms: ReturnType<typeof listPassForms>): TStepDraft[] {
  const steps = (pipeline as { steps?: Array<{ pass?: string; options?: Record<string, unknown> }> } | null)?.steps ?? [];
  return steps.flatMap((s) => {
    const form = forms.find((f) => f.pass === s.pass);
    return form ? [draftFromStep(form, s.options)] : [];
  });
}

/**
 * Starts a job for a ready model: pick a documented preset, build a pipeline step by step (fields generated from
 * the contract's schemas), or write it as JSON. Everything is checked with the same zod schema the API and worker
 * use, so errors name the step and option before anything is sent; whatever the API still rejects is shown too.
 * `initialPipeline` (rerun of a job) opens the builder prefilled with that job's steps.
 */
export function NewJobForm({ modelId, disabledReason, initialPipeline }: { modelId: string; disabledReason?: string; initialPipeline?: unknown }) {
  const trpc = useTRPC();
  const router = useRouter();
  const queryClient = useQueryClient();
  const ids = { pipeline: useId(), pipelineHelp: useId(), pipelineError: useId(), webhook: useId(), webhookHelp: useId(), presetGroup: useId() };
  const forms = useMemo(() => listPassForms(), []);
  const presets = useQuery(trpc.presets.list.queryOptions(undefined, { staleTime: Infinity }));
  const [mode, setMode] = useState<TMode>(initialPipeline ? "builder" : "preset");
  const [presetName, setPresetName] = useState<string>("");
  const [drafts, setDrafts] = useState<TStepDraft[]>(() => (initialPipeline ? draftsFromPipeline(initialPipeline, forms) : []));
  const [fieldErrors, setFieldErrors] = useState<TFieldErrors>({});
  const [pipelineText, setPipelineText] = useState<string>(() => (initialPipeline ? JSON.stringify(initialPipeline, null, 2) : ""));
  const [pipelineError, setPipelineError] = useState<string | null>(null);
  const [webhookUrl, setWebhookUrl] = useState("");
  const [webhookError, setWebhookError] = useState<string | null>(null);
  const [calibrationDatasetId, setCalibrationDatasetId] = useState("");
  const [evaluationDatasetId, setEvaluationDatasetId] = useState("");

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
    setPipelineError(null);
    setFieldErrors({});
    // Start editors from what the user already chose: editing a working pipeline beats writing one from scratch.
    const sourcePipeline: unknown = mode === "builder" ? buildPipelineValue(drafts, forms) : mode === "json" ? safeJson(pipelineText) : selected?.pipeline;
    if (next === "builder" && drafts.length === 0 && sourcePipeline) setDrafts(draftsFromPipeline(sourcePipeline, forms));
    if (next === "json" && sourcePipeline) setPipelineText(JSON.stringify(sourcePipeline, null, 2));
  };

  const readWebhook = (): { url: string } | undefined | null => {
    const url = webhookUrl.trim();
    if (!url) return undefined;
    try {
      const parsed = new URL(url);
      if (parsed.protocol !== "https:" && parsed.protocol !== "http:") throw new Error("not http");
      return { url };
    } catch {
      setWebhookError("enter a full http(s) URL, e.g. https://example.com/hooks/condense");
      return null;
    }
  };

  const onSubmit = (e: FormEvent) => {
    e.preventDefault();
    createJob.reset();
    setWebhookError(null);
    const webhook = readWebhook();
    if (webhook === null) return;
    const extra = {
      ...(webhook ? { webhook } : {}),
      ...(calibrationDatasetId ? { calibrationDatasetId } : {}),
      ...(evaluationDatasetId ? { evaluationDatasetId } : {}),
    };
    if (mode === "preset") {
      createJob.mutate({ modelId, preset: selectedName, ...extra });
      return;
    }
    if (mode === "builder") {
      const result = validateDrafts(drafts, forms);
      if (!result.ok) {
        setFieldErrors(result.errors);
        setPipelineError(result.message);
        return;
      }
      setFieldErrors({});
      setPipelineError(null);
      createJob.mutate({ modelId, pipeline: result.pipeline, ...extra });
      return;
    }
    const parsed = parsePipelineJson(pipelineText);
    if (!parsed.ok) {
      setPipelineError(parsed.error);
      return;
    }
    setPipelineError(null);
    createJob.mutate({ modelId, pipeline: parsed.pipeline, ...extra });
  };

  const disabled = Boolean(disabledReason) || createJob.isPending;

  return (
    <form className="form" onSubmit={onSubmit} aria-label="New job" noValidate>
      <fieldset className="field">
        <legend>Pipeline</legend>
        <div className="radio-row">
          <label>
            <input type="radio" name="mode" value="preset" checked={mode === "preset"} onChange={() => switchMode("preset")} /> Preset
          </label>
          <label>
            <input type="radio" name="mode" value="builder" checked={mode === "builder"} onChange={() => switchMode("builder")} /> Build step by step
          </label>
          <label>
            <input type="radio" name="mode" value="json" checked={mode === "json"} onChange={() => switchMode("json")} /> Custom pipeline (JSON)
          </label>
        </div>
      </fieldset>

      {mode === "preset" ? (
        <fieldset className="field preset-list" aria-describedby={ids.presetGroup}>
          <legend>Preset</legend>
          <span className="field__hint" id={ids.presetGroup}>
            Each preset is a tested pipeline; pick the one that matches your model.
          </span>
          {presets.data.map((p) => (
            <label key={p.name} className="preset-option" data-testid="preset-option">
              <input type="radio" name="preset" value={p.name} checked={p.name === selectedName} onChange={() => setPresetName(p.name)} />
              <span>
                <strong className="mono">{p.name}</strong>
                <span className="preset-option__description" data-testid={p.name === selectedName ? "preset-description" : undefined}>
                  {p.description}
                </span>
              </span>
            </label>
          ))}
        </fieldset>
      ) : mode === "builder" ? (
        <PipelineBuilder
          forms={forms}
          drafts={drafts}
          errors={fieldErrors}
          onChange={(next) => {
            setDrafts(next);
            if (Object.keys(fieldErrors).length > 0) setFieldErrors({});
          }}
        />
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
        </div>
      )}
      {pipelineError && mode !== "preset" ? (
        <div className="field__error" role="alert" id={ids.pipelineError}>
          {pipelineError}
        </div>
      ) : null}

      <fieldset className="field">
        <legend>Data</legend>
        <DatasetPicker role="calibration" value={calibrationDatasetId} onChange={setCalibrationDatasetId} disabled={createJob.isPending} />
        <DatasetPicker role="evaluation" value={evaluationDatasetId} onChange={setEvaluationDatasetId} disabled={createJob.isPending} />
      </fieldset>

      <div className="field">
        <label htmlFor={ids.webhook}>Webhook URL (optional)</label>
        <input
          id={ids.webhook}
          className="input"
          type="url"
          inputMode="url"
          placeholder="https://example.com/hooks/condense"
          value={webhookUrl}
          onChange={(e) => {
            setWebhookUrl(e.target.value);
            if (webhookError) setWebhookError(null);
          }}
          aria-invalid={webhookError ? true : undefined}
          aria-describedby={ids.webhookHelp}
        />
        <span className="field__hint" id={ids.webhookHelp}>
          Condense POSTs signed job events (started, succeeded, failed, canceled) to this URL.
        </span>
        {webhookError ? <span className="field__error" role="alert">{webhookError}</span> : null}
      </div>

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

function safeJson(text: string): unknown {
  try {
    return JSON.parse(text);
  } catch {
    return undefined;
  }
}
