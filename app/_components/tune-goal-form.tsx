"use client";

import { useMutation } from "@tanstack/react-query";
import { useRouter } from "next/navigation";
import { useId, useState, type FormEvent } from "react";
import { TUNE_FLOOR_METRICS, TUNE_OBJECTIVES, type TTuneFloorMetric, type TTuneObjective } from "../../contracts/tune";
import { getUserMessage } from "../_lib/errors";
import { useTRPC } from "../_lib/trpc";
import { DatasetPicker } from "./dataset-picker";
import { ErrorAlert } from "./error-alert";

const METRIC_LABELS: Record<TTuneFloorMetric, string> = { cosine: "Output cosine", snrDb: "SNR (dB)", accuracy: "Top-1 accuracy (needs labelled eval data)" };
const OBJECTIVE_LABELS: Record<TTuneObjective, string> = { latency: "Fastest", size: "Smallest", both: "Both (size × latency)" };

/**
 * "Tune": the goal form on a model page. The user states the quality floor and what to minimize; the platform runs
 * the trials (issue 10). Opens the tune job's page on success.
 */
export function TuneGoalForm({ modelId, disabledReason }: { modelId: string; disabledReason?: string }) {
  const trpc = useTRPC();
  const router = useRouter();
  const ids = { metric: useId(), min: useId(), objective: useId(), trials: useId(), help: useId() };
  const [metric, setMetric] = useState<TTuneFloorMetric>("cosine");
  const [min, setMin] = useState("0.99");
  const [objective, setObjective] = useState<TTuneObjective>("latency");
  const [maxTrials, setMaxTrials] = useState("20");
  const [calibrationDatasetId, setCalibrationDatasetId] = useState("");
  const [evaluationDatasetId, setEvaluationDatasetId] = useState("");
  const create = useMutation(trpc.tune.create.mutationOptions({ onSuccess: (job) => router.push(`/jobs/${job.id}`) }));

  const onSubmit = (e: FormEvent) => {
    e.preventDefault();
    create.mutate({
      modelId,
      goal: { floor: { metric, min: Number(min) }, objective, budget: { maxTrials: Number(maxTrials) } },
      ...(calibrationDatasetId ? { calibrationDatasetId } : {}),
      ...(evaluationDatasetId ? { evaluationDatasetId } : {}),
    });
  };
  const disabled = Boolean(disabledReason) || create.isPending;
  return (
    <form className="form" onSubmit={onSubmit} aria-label="Tune" data-testid="tune-goal-form" noValidate>
      <p className="muted small" id={ids.help}>
        Say what quality you need; Condense tries presets, mixed precision and pruning sweeps as parallel trials and recommends the best result.
      </p>
      <div className="field">
        <label htmlFor={ids.metric}>Keep</label>
        <select id={ids.metric} className="select" value={metric} onChange={(e) => setMetric(e.target.value as TTuneFloorMetric)}>
          {TUNE_FLOOR_METRICS.map((m) => (
            <option key={m} value={m}>
              {METRIC_LABELS[m]}
            </option>
          ))}
        </select>
      </div>
      <div className="field">
        <label htmlFor={ids.min}>At least</label>
        <input id={ids.min} className="input" inputMode="decimal" value={min} onChange={(e) => setMin(e.target.value)} data-testid="tune-floor-min" />
      </div>
      <div className="field">
        <label htmlFor={ids.objective}>Minimize</label>
        <select id={ids.objective} className="select" value={objective} onChange={(e) => setObjective(e.target.value as TTuneObjective)}>
          {TUNE_OBJECTIVES.map((o) => (
            <option key={o} value={o}>
              {OBJECTIVE_LABELS[o]}
            </option>
          ))}
        </select>
      </div>
      <div className="field">
        <label htmlFor={ids.trials}>Trials at most</label>
        <input id={ids.trials} className="input" type="number" min={1} max={50} value={maxTrials} onChange={(e) => setMaxTrials(e.target.value)} />
      </div>
      <details className="field">
        <summary>Data for the trials (optional)</summary>
        <DatasetPicker scope="tune" role="calibration" value={calibrationDatasetId} onChange={setCalibrationDatasetId} disabled={create.isPending} />
        <DatasetPicker scope="tune" role="evaluation" value={evaluationDatasetId} onChange={setEvaluationDatasetId} disabled={create.isPending} />
      </details>
      {create.error ? <ErrorAlert title="The tune job was not created" message={getUserMessage(create.error)} /> : null}
      {disabledReason ? <p className="muted small">{disabledReason}</p> : null}
      <div className="actions">
        <button className="button" type="submit" disabled={disabled} data-testid="tune-submit">
          {create.isPending ? "Starting…" : "Tune"}
        </button>
      </div>
    </form>
  );
}
