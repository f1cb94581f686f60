"use client";

import { useMutation, useQuery, useQueryClient } from "@tanstack/react-query";
import Link from "next/link";
import { useEffect, useState } from "react";
import { isTerminalJobState } from "../../contracts/job-state";
import { formatBytes, formatDateTime, formatElapsed, formatPercent } from "../_lib/format";
import { getUserMessage } from "../_lib/errors";
import { useTRPC, useTRPCClient } from "../_lib/trpc";
import { hasReportArtifact, useJobReport } from "../_lib/use-job-report";
import { AnalysisView } from "./analysis-view";
import { ErrorAlert } from "./error-alert";
import { JobLogsPanel } from "./job-logs-panel";
import { JobResults } from "./job-results";
import { describePipeline } from "./jobs-table";
import { Loading } from "./loading";
import { ProgressBar } from "./progress-bar";
import { StateBadge } from "./state-badge";
import { TuneSection } from "./tune-section";

/** How often an unfinished job is polled: fast enough to feel live, cheap enough for many open tabs. */
const LIVE_REFRESH_MS = 1000;

/**
 * One job, live: state, stage and progress refresh every second until the job is terminal (no manual reload).
 * Unfinished jobs can be canceled; finished ones show the analysis and a download button per artifact.
 */
export function JobDetailView({ jobId }: { jobId: string }) {
  const trpc = useTRPC();
  const queryClient = useQueryClient();
  const job = useQuery(
    trpc.jobs.get.queryOptions(
      { jobId },
      { refetchInterval: (q) => (q.state.data && isTerminalJobState(q.state.data.state) ? false : LIVE_REFRESH_MS) },
    ),
  );
  const model = useQuery(trpc.models.get.queryOptions({ modelId: job.data?.modelId ?? "" }, { enabled: Boolean(job.data?.modelId), staleTime: 60_000 }));
  const cancel = useMutation(
    trpc.jobs.cancel.mutationOptions({
      onSuccess: (updated) => {
        queryClient.setQueryData(trpc.jobs.get.queryKey({ jobId }), updated);
        void queryClient.invalidateQueries(trpc.jobs.list.pathFilter());
      },
    }),
  );

  const hasReport = Boolean(job.data && hasReportArtifact(job.data));
  const report = useJobReport(jobId, hasReport);

  const stageHistory = useStageHistory(job.data);

  if (job.isPending) return <Loading label="Loading job…" />;
  if (job.isError) {
    return (
      <>
        <Breadcrumb />
        <ErrorAlert title="Could not load this job" message={getUserMessage(job.error)} />
      </>
    );
  }
  const j = job.data;
  const terminal = isTerminalJobState(j.state);
  const cancelPending = Boolean(j.cancelRequestedAt) && !terminal;

  return (
    <>
      <div className="page-header">
        <div>
          <Breadcrumb />
          <h1>
            Job <span className="mono">{j.id.slice(0, 10)}</span>
          </h1>
          <p>
            {describePipeline(j)} on{" "}
            <Link href={`/models/${j.modelId}`}>{model.data?.name ?? "model"}</Link>
          </p>
        </div>
        <div className="actions">
          {terminal && j.kind !== "tune" ? (
            <Link className="button button--secondary" href={`/models/${j.modelId}?rerun=${j.id}#new-job-title`} data-testid="rerun-link">
              Rerun with changes
            </Link>
          ) : null}
          {!terminal ? (
            <button
              type="button"
              className="button button--danger"
              onClick={() => cancel.mutate({ jobId })}
              disabled={cancel.isPending || cancelPending}
            >
              {cancel.isPending || cancelPending ? "Canceling…" : "Cancel job"}
            </button>
          ) : null}
        </div>
      </div>
      {cancel.error ? <ErrorAlert title="The job was not canceled" message={getUserMessage(cancel.error)} /> : null}

      <section className="card" aria-labelledby="job-status-title" aria-live="polite">
        <div className="card__header">
          <h2 id="job-status-title">Status</h2>
          <StateBadge state={j.state} />
        </div>
        {!terminal ? (
          <ProgressBar
            value={j.progress}
            label="Job progress"
            left={j.state === "queued" ? "Waiting for a worker…" : `${j.stage ?? "starting"} · ${formatPercent(j.progress)}`}
            right={j.startedAt ? `running for ${formatElapsed(j.startedAt)}` : undefined}
          />
        ) : null}
        {j.state === "failed" && j.error ? <ErrorAlert title="The job failed" message={j.error} /> : null}
        {j.state === "canceled" ? (
          <div className="alert alert--info" role="status">
            Canceled {j.finishedAt ? formatDateTime(j.finishedAt) : ""}. No artifacts were published.
          </div>
        ) : null}
        <dl className="facts" style={{ marginTop: "1rem" }} data-testid="job-facts">
          <div>
            <dt>Stage</dt>
            <dd data-testid="job-stage">{j.stage ?? "—"}</dd>
          </div>
          <div>
            <dt>Created</dt>
            <dd>{formatDateTime(j.createdAt)}</dd>
          </div>
          <div>
            <dt>Started</dt>
            <dd>{formatDateTime(j.startedAt)}</dd>
          </div>
          <div>
            <dt>Finished</dt>
            <dd>{formatDateTime(j.finishedAt)}</dd>
          </div>
          <div>
            <dt>Duration</dt>
            <dd>{j.startedAt ? formatElapsed(j.startedAt, j.finishedAt) : "—"}</dd>
          </div>
          <div>
            <dt>Attempts</dt>
            <dd data-testid="job-attempts">{j.attempts}</dd>
          </div>
        </dl>
      </section>
      {j.kind === "tune" ? <TuneSection jobId={j.id} /> : null}

      {j.state === "succeeded" ? <ArtifactsCard jobId={j.id} artifacts={j.artifacts} /> : null}
      <JobLogsPanel jobId={j.id} />

      {hasReport ? (
        report.isPending ? (
          <Loading label="Loading the report…" />
        ) : report.isError ? (
          <ErrorAlert title="Could not show the results" message={getUserMessage(report.error)} />
        ) : (
          <>
            <JobResults report={report.data} />
            <AnalysisView report={report.data} />
          </>
        )
      ) : null}

      {stageHistory.length > 1 ? (
        <details className="card" open={!terminal}>
          <summary>Stage history</summary>
          <ol className="small" data-testid="stage-history">
            {stageHistory.map((h) => (
              <li key={`${h.stage}-${h.atMs}`}>
                <span className="mono">{new Date(h.atMs).toLocaleTimeString("en-GB")}</span> {h.stage}
              </li>
            ))}
          </ol>
          <p className="muted small">Stages seen while this page was open.</p>
        </details>
      ) : null}

      <details className="card">
        <summary>Pipeline</summary>
        <pre className="mono small" style={{ overflowX: "auto" }}>
          {JSON.stringify(j.pipeline, null, 2)}
        </pre>
      </details>
    </>
  );
}

type TStageEntry = { stage: string; atMs: number };

/**
 * Stages the job went through while this page watched it. The API keeps only the current stage, so this is what
 * the browser saw; it is labelled as such on the page.
 */
function useStageHistory(job: { stage: string | null; state: string } | undefined): TStageEntry[] {
  const [history, setHistory] = useState<TStageEntry[]>([]);
  const label = job ? (job.stage ? `${job.state}: ${job.stage}` : job.state) : undefined;
  useEffect(() => {
    if (!label) return;
    setHistory((prev) => (prev.at(-1)?.stage === label ? prev : [...prev, { stage: label, atMs: Date.now() }].slice(-100)));
  }, [label]);
  return history;
}

function Breadcrumb() {
  return (
    <nav className="breadcrumb" aria-label="Breadcrumb">
      <Link href="/jobs">Jobs</Link> /
    </nav>
  );
}

type TArtifact = { name: string; sizeBytes: number; sha256: string; contentType: string };

/** One row per published artifact with a download button (a fresh presigned URL per click). */
function ArtifactsCard({ jobId, artifacts }: { jobId: string; artifacts: TArtifact[] }) {
  const client = useTRPCClient();
  const [busy, setBusy] = useState<string | null>(null);
  const [error, setError] = useState<string | null>(null);

  const download = async (name: string) => {
    setBusy(name);
    setError(null);
    try {
      const link = await client.jobs.getArtifactUrl.query({ jobId, name });
      // Storage answers with Content-Disposition: attachment, so the browser saves the file and stays on this page.
      const a = document.createElement("a");
      a.href = link.url;
      a.rel = "noopener";
      document.body.appendChild(a);
      a.click();
      a.remove();
    } catch (err) {
      setError(`${name}: ${getUserMessage(err)}`);
    } finally {
      setBusy(null);
    }
  };

  return (
    <section className="card" aria-labelledby="artifacts-title">
      <h2 id="artifacts-title">Artifacts</h2>
      {error ? <ErrorAlert title="Download failed" message={error} /> : null}
      {artifacts.length === 0 ? (
        <p className="muted">This job published no artifacts.</p>
      ) : (
        <div className="table-wrap">
          <table className="table table--stack" data-testid="artifacts-table">
            <thead>
              <tr>
                <th scope="col">Name</th>
                <th scope="col" className="num">
                  Size
                </th>
                <th scope="col">SHA-256</th>
                <th scope="col">
                  <span className="visually-hidden">Download</span>
                </th>
              </tr>
            </thead>
            <tbody>
              {artifacts.map((a) => (
                <tr key={a.name}>
                  <td data-label="Name" className="mono">
                    {a.name}
                  </td>
                  <td data-label="Size" className="num">
                    {formatBytes(a.sizeBytes)}
                  </td>
                  <td data-label="SHA-256" className="mono" title={a.sha256}>
                    {a.sha256.slice(0, 16)}…
                  </td>
                  <td data-label="">
                    <button
                      type="button"
                      className="button button--secondary"
                      onClick={() => void download(a.name)}
                      disabled={busy === a.name}
                      aria-label={`Download ${a.name}`}
                    >
                      {busy === a.name ? "Preparing…" : "Download"}
                    </button>
                  </td>
                </tr>
              ))}
            </tbody>
          </table>
        </div>
      )}
    </section>
  );
}
