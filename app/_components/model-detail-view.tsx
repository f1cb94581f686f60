"use client";

import { useQuery } from "@tanstack/react-query";
import Link from "next/link";
import { formatBytes, formatDateTime } from "../_lib/format";
import { getUserMessage } from "../_lib/errors";
import { readModelSummary, type TModelSummaryView } from "../_lib/model-summary";
import { useTRPC } from "../_lib/trpc";
import { hasReportArtifact, useJobReport } from "../_lib/use-job-report";
import { ModelAnalysisCharts } from "./model-analysis-charts";
import { ErrorAlert } from "./error-alert";
import { JobsTable } from "./jobs-table";
import { Loading } from "./loading";
import { NewJobForm } from "./new-job-form";
import { TuneGoalForm } from "./tune-goal-form";
import { StateBadge } from "./state-badge";
import { TensorTable } from "./tensor-table";

/** One model: what it is (IR, opsets, IO, SHA-256, size), a form to start a job, and its jobs. */
export function ModelDetailView({ modelId, rerunJobId }: { modelId: string; rerunJobId?: string }) {
  const trpc = useTRPC();
  const rerunJob = useQuery(trpc.jobs.get.queryOptions({ jobId: rerunJobId ?? "" }, { enabled: Boolean(rerunJobId), staleTime: Infinity }));
  const model = useQuery(
    trpc.models.get.queryOptions(
      { modelId },
      { refetchInterval: (q) => (q.state.data?.state === "uploading" || q.state.data?.state === "validating" ? 2000 : false) },
    ),
  );
  const jobs = useQuery(
    trpc.jobs.list.queryOptions(
      { modelId, limit: 50 },
      {
        refetchInterval: (q) => (q.state.data?.items.some((j) => j.state === "queued" || j.state === "running") ? 2000 : false),
      },
    ),
  );

  // The model's structure is the same in every report: show the newest analyzed one.
  const analyzedJob = jobs.data?.items.find(hasReportArtifact);
  const report = useJobReport(analyzedJob?.id, Boolean(analyzedJob));

  if (model.isPending) return <Loading label="Loading model…" />;
  if (model.isError) {
    return (
      <>
        <Breadcrumb />
        <ErrorAlert title="Could not load this model" message={getUserMessage(model.error)} />
      </>
    );
  }
  const m = model.data;
  const summary = readModelSummary(m.summary);
  const otherOpsets = formatOtherOpsets(summary);

  return (
    <>
      <div className="page-header">
        <div>
          <Breadcrumb />
          <h1 className="wrap">{m.name}</h1>
          <p>
            <StateBadge state={m.state} /> <span className="muted small">uploaded {formatDateTime(m.createdAt)}</span>
          </p>
        </div>
      </div>
      {m.state === "failed" && m.error ? <ErrorAlert title="This upload was rejected" message={m.error} /> : null}

      <section className="card" aria-labelledby="model-summary-title">
        <h2 id="model-summary-title">Summary</h2>
        <dl className="facts" data-testid="model-facts">
          <div>
            <dt>Size</dt>
            <dd>{formatBytes(m.sizeBytes)}</dd>
          </div>
          <div>
            <dt>IR version</dt>
            <dd>{summary.irVersion ?? "—"}</dd>
          </div>
          <div>
            <dt>Opset</dt>
            <dd data-testid="model-opset">{summary.defaultOpset ?? "—"}</dd>
          </div>
          <div>
            <dt>Producer</dt>
            <dd>{summary.producer ?? "—"}</dd>
          </div>
          {otherOpsets ? (
            <div style={{ gridColumn: "1 / -1" }}>
              <dt>Other operator domains</dt>
              <dd className="small" style={{ fontWeight: 500 }}>
                {otherOpsets}
              </dd>
            </div>
          ) : null}
          <div style={{ gridColumn: "1 / -1" }}>
            <dt>SHA-256</dt>
            <dd className="mono" data-testid="model-sha256">
              {m.sha256 ?? "—"}
            </dd>
          </div>
        </dl>
      </section>

      {summary.inputs.length + summary.outputs.length > 0 ? (
        <section className="card" aria-labelledby="model-io-title">
          <h2 id="model-io-title">Inputs and outputs</h2>
          <TensorTable inputs={summary.inputs} outputs={summary.outputs} />
        </section>
      ) : null}

      <section className="card" aria-labelledby="model-analysis-title" data-testid="model-analysis">
        <h2 id="model-analysis-title">Analysis</h2>
        {report.data?.original.analysis ? (
          <ModelAnalysisCharts analysis={report.data.original.analysis} latencyMs={report.data.original.latencyMs} />
        ) : report.isError ? (
          <ErrorAlert title="Could not load the analysis" message={getUserMessage(report.error)} />
        ) : analyzedJob && report.isPending ? (
          <Loading label="Loading the analysis…" />
        ) : (
          <p className="muted">
            No analysis yet. Start a job with the <code>analyze</code> preset to see operators, parameters by dtype and CPU latency.
          </p>
        )}
      </section>

      <div className="stack">
        <section className="card" aria-labelledby="new-job-title">
          <h2 id="new-job-title">{rerunJobId ? "Rerun with changes" : "New job"}</h2>
          {rerunJobId && rerunJob.isPending ? (
            <Loading label="Loading the job to rerun…" />
          ) : (
            <>
              {rerunJob.isError ? <ErrorAlert title="The job to rerun could not be loaded" message={getUserMessage(rerunJob.error)} /> : null}
              {rerunJob.data ? (
                <p className="muted small" data-testid="rerun-note">
                  Prefilled from job <span className="mono">{rerunJob.data.id.slice(0, 10)}</span>: change any option, then start.
                </p>
              ) : null}
              <NewJobForm
                key={rerunJob.data?.id ?? "new"}
                modelId={m.id}
                initialPipeline={rerunJob.data?.pipeline}
                disabledReason={m.state === "ready" ? undefined : `Jobs can start once the model is ready (it is ${m.state}).`}
              />
            </>
          )}
        </section>
        <section className="card" aria-labelledby="tune-form-title"><h2 id="tune-form-title">Tune</h2><TuneGoalForm modelId={m.id} disabledReason={m.state === "ready" ? undefined : `Tuning can start once the model is ready (it is ${m.state}).`} /></section>
        <section className="card" aria-labelledby="model-jobs-title">
          <div className="card__header">
            <h2 id="model-jobs-title">Jobs of this model</h2>
            {(jobs.data?.items.filter(hasReportArtifact).length ?? 0) > 1 ? <Link href={`/compare?model=${m.id}`}>Compare jobs</Link> : null}
          </div>
          {jobs.isPending ? (
            <Loading label="Loading jobs…" />
          ) : jobs.isError ? (
            <ErrorAlert message={getUserMessage(jobs.error)} />
          ) : jobs.data.items.length === 0 ? (
            <p className="muted">No jobs yet. Start one with the form.</p>
          ) : (
            <JobsTable jobs={jobs.data.items} />
          )}
        </section>
      </div>
    </>
  );
}

function Breadcrumb() {
  return (
    <nav className="breadcrumb" aria-label="Breadcrumb">
      <Link href="/models">Models</Link> /
    </nav>
  );
}

/** Opsets of non-default domains (com.microsoft, ai.onnx.ml, …), or undefined when there are none. */
function formatOtherOpsets(summary: TModelSummaryView): string | undefined {
  const others = summary.opsets.filter((o) => o.domain !== "" && o.domain !== "ai.onnx");
  return others.length > 0 ? others.map((o) => `${o.domain} ${o.version}`).join(" · ") : undefined;
}
