"use client";

import { useQuery } from "@tanstack/react-query";
import Link from "next/link";
import { useId, useMemo, useState } from "react";
import { getUserMessage } from "../_lib/errors";
import { formatBytes, formatDateTime, formatMs } from "../_lib/format";
import { findParetoFront } from "../_lib/pareto";
import { readTradeoff } from "../_lib/report-results";
import { useTRPC } from "../_lib/trpc";
import { hasReportArtifact, useJobReports } from "../_lib/use-job-report";
import { ParetoChart, type TComparePoint } from "./charts/pareto-chart";
import { ErrorAlert } from "./error-alert";
import { describePipeline } from "./jobs-table";
import { Loading } from "./loading";

const ORIGINAL_ID = "original";

/**
 * Compare page: choose a model, tick several of its finished jobs, and see them (plus the original model) on a
 * size × latency × fidelity chart with the Pareto front highlighted, and the same numbers in a table.
 */
export function CompareView({ initialModelId }: { initialModelId?: string }) {
  const trpc = useTRPC();
  const modelSelectId = useId();
  const models = useQuery(trpc.models.list.queryOptions({ limit: 100 }));
  const [modelId, setModelId] = useState<string | undefined>(initialModelId);
  const readyModels = (models.data?.items ?? []).filter((m) => m.state === "ready");
  const currentModelId = modelId ?? readyModels[0]?.id;
  const jobs = useQuery(trpc.jobs.list.queryOptions({ modelId: currentModelId ?? "", limit: 100 }, { enabled: Boolean(currentModelId) }));
  const finished = useMemo(() => (jobs.data?.items ?? []).filter(hasReportArtifact), [jobs.data]);
  const [picked, setPicked] = useState<Set<string> | null>(null);
  // Until the user picks, every finished job is compared: the common case is "show me all of them".
  const selectedIds = finished.filter((j) => (picked ? picked.has(j.id) : true)).map((j) => j.id);
  const reports = useJobReports(selectedIds);

  const points: TComparePoint[] = [];
  const missing: string[] = [];
  // Each job measured the original next to its result; their median is the original's point (runs vary a little).
  const originalLatencies: number[] = [];
  let originalSizeBytes: number | undefined;
  reports.forEach((r, i) => {
    const job = finished.find((j) => j.id === selectedIds[i]);
    if (!r.data || !job) return;
    originalSizeBytes = r.data.original.sizeBytes;
    if (r.data.original.latencyMs) originalLatencies.push(r.data.original.latencyMs.p50);
    if (!r.data.compressed) return; // an analyze-only job is the original itself
    const t = readTradeoff(r.data);
    const label = `${describePipeline(job)} · ${job.id.slice(0, 6)}`;
    if (t.latencyMs === undefined || t.fidelity === undefined) {
      missing.push(label);
      return;
    }
    points.push({ id: job.id, label, sizeBytes: t.sizeBytes, latencyMs: t.latencyMs, fidelity: t.fidelity, onFront: false });
  });
  if (originalSizeBytes !== undefined && originalLatencies.length > 0) {
    const sorted = [...originalLatencies].sort((a, b) => a - b);
    points.unshift({ id: ORIGINAL_ID, label: "original", sizeBytes: originalSizeBytes, latencyMs: sorted[Math.floor(sorted.length / 2)], fidelity: 1, onFront: false });
  }
  const front = findParetoFront(points);
  for (const p of points) p.onFront = front.has(p.id);
  const loadingReports = reports.some((r) => r.isPending);
  const reportError = reports.find((r) => r.isError)?.error;

  const toggle = (id: string) => {
    const next = new Set(picked ?? finished.map((j) => j.id));
    if (next.has(id)) next.delete(id);
    else next.add(id);
    setPicked(next);
  };

  return (
    <>
      <div className="page-header">
        <div>
          <h1>Compare</h1>
          <p>Pick jobs of one model and find the best trade-off between size, speed and fidelity.</p>
        </div>
      </div>
      {models.isPending ? (
        <Loading label="Loading models…" />
      ) : models.isError ? (
        <ErrorAlert title="Could not load your models" message={getUserMessage(models.error)} />
      ) : readyModels.length === 0 ? (
        <div className="card empty">
          <h3>Nothing to compare yet</h3>
          <p>
            Upload a model on <Link href="/models">Models</Link> and run two or more jobs on it.
          </p>
        </div>
      ) : (
        <section className="card stack" aria-labelledby="compare-pick">
          <h2 id="compare-pick">Jobs</h2>
          <div className="field">
            <label htmlFor={modelSelectId}>Model</label>
            <select
              id={modelSelectId}
              className="select"
              value={currentModelId}
              onChange={(e) => {
                setModelId(e.target.value);
                setPicked(null);
              }}
            >
              {readyModels.map((m) => (
                <option key={m.id} value={m.id}>
                  {m.name}
                </option>
              ))}
            </select>
          </div>
          {jobs.isPending ? (
            <Loading label="Loading jobs…" />
          ) : jobs.isError ? (
            <ErrorAlert message={getUserMessage(jobs.error)} />
          ) : finished.length === 0 ? (
            <p className="muted">
              No finished jobs on this model yet. <Link href={`/models/${currentModelId}`}>Start one</Link>.
            </p>
          ) : (
            <fieldset className="field">
              <legend>Jobs to compare</legend>
              <div className="check-list">
                {finished.map((j) => (
                  <label key={j.id}>
                    <input type="checkbox" checked={selectedIds.includes(j.id)} onChange={() => toggle(j.id)} data-testid="compare-job" />{" "}
                    <span className="mono">{describePipeline(j)}</span> <span className="muted small">{j.id.slice(0, 6)} · {formatDateTime(j.finishedAt)}</span>
                  </label>
                ))}
              </div>
            </fieldset>
          )}
        </section>
      )}

      {reportError ? <ErrorAlert title="Some results could not be loaded" message={getUserMessage(reportError)} /> : null}
      {loadingReports && selectedIds.length > 0 ? <Loading label="Loading results…" /> : null}
      {!loadingReports && points.length > 1 ? (
        <section className="card stack" aria-labelledby="compare-chart" data-testid="compare-results">
          <h2 id="compare-chart">Trade-offs</h2>
          <ParetoChart points={points} />
          <div className="table-wrap">
            <table className="table table--stack" data-testid="compare-table">
              <thead>
                <tr>
                  <th scope="col">Result</th>
                  <th scope="col" className="num">Size</th>
                  <th scope="col" className="num">Latency p50</th>
                  <th scope="col" className="num">Cosine</th>
                  <th scope="col">Pareto</th>
                </tr>
              </thead>
              <tbody>
                {[...points].sort((a, b) => a.sizeBytes - b.sizeBytes).map((p) => (
                  <tr key={p.id} data-testid="compare-row" data-front={p.onFront ? "true" : "false"}>
                    <td data-label="Result">{p.id === ORIGINAL_ID ? "original model" : <Link href={`/jobs/${p.id}`}>{p.label}</Link>}</td>
                    <td data-label="Size" className="num">{formatBytes(p.sizeBytes)}</td>
                    <td data-label="Latency p50" className="num">{formatMs(p.latencyMs)}</td>
                    <td data-label="Cosine" className="num">{p.fidelity.toFixed(4)}</td>
                    <td data-label="Pareto">{p.onFront ? <strong>optimal</strong> : <span className="muted">dominated</span>}</td>
                  </tr>
                ))}
              </tbody>
            </table>
          </div>
          <p className="muted small">
            Latency is each job&apos;s p50 on the worker&apos;s CPU; the original&apos;s is the median of its measurements in these jobs. Fidelity is the
            worst output&apos;s cosine vs the original.
          </p>
          {missing.length > 0 ? <p className="muted small">Not plotted (no latency or fidelity measured): {missing.join(", ")}.</p> : null}
        </section>
      ) : !loadingReports && selectedIds.length > 0 && points.length <= 1 ? (
        <p className="muted">Select at least one job that produced a compressed model to see trade-offs.</p>
      ) : null}
    </>
  );
}
