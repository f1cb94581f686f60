"use client";

import { useQuery } from "@tanstack/react-query";
import Link from "next/link";
import { isTerminalJobState } from "../../contracts/job-state";
import { formatBytes } from "../_lib/format";
import { getUserMessage } from "../_lib/errors";
import { useTRPC } from "../_lib/trpc";
import { ErrorAlert } from "./error-alert";
import { Loading } from "./loading";
import { StateBadge } from "./state-badge";
import { TunePareto, type TTunePoint } from "./tune-pareto-chart";

/** How often a running tune job's trials and live front refresh. */
const LIVE_REFRESH_MS = 1500;

/**
 * The tune section of a tune job's page (issue 10): the trials (links, states, metrics, flags), the Pareto chart
 * with the recommended trial highlighted, and the explanation. Live while the search runs.
 */
export function TuneSection({ jobId }: { jobId: string }) {
  const trpc = useTRPC();
  const tune = useQuery(
    trpc.tune.get.queryOptions({ jobId }, { refetchInterval: (q) => (q.state.data && isTerminalJobState(q.state.data.job.state) ? false : LIVE_REFRESH_MS) }),
  );
  if (tune.isPending) return <Loading label="Loading trials…" />;
  if (tune.isError) return <ErrorAlert title="Could not load the trials" message={getUserMessage(tune.error)} />;
  const { report, job } = tune.data;
  const goal = report?.goal;
  const points: TTunePoint[] = (report?.trials ?? [])
    .filter((t) => t.state === "succeeded" && t.sizeBytes !== undefined && t.latencyRatioP50 !== undefined)
    .map((t) => ({
      id: t.jobId,
      label: t.candidateId,
      sizeBytes: t.sizeBytes!,
      latencyRatio: t.latencyRatioP50!,
      quality: t.floorValue ?? 0,
      onFront: t.onParetoFront,
      recommended: t.jobId === report?.recommendedJobId,
    }));
  return (
    <section className="card" aria-labelledby="tune-title" data-testid="tune-section">
      <div className="card__header">
        <h2 id="tune-title">Tuning</h2>
        {goal ? (
          <span className="muted small" data-testid="tune-goal">
            keep {goal.floor.metric} ≥ {goal.floor.min}, minimize {goal.objective}, at most {goal.budget.maxTrials} trials
          </span>
        ) : null}
      </div>
      {report ? (
        <>
          {job.state === "succeeded" ? (
            <div className={report.metGoal ? "alert alert--success" : "alert alert--info"} role="status" data-testid="tune-outcome">
              {report.metGoal ? "Goal met." : "No trial met the goal; the closest one is marked."}
            </div>
          ) : null}
          <ul className="stack small" data-testid="tune-explanation">
            {report.explanation.map((line, i) => (
              <li key={i}>{line}</li>
            ))}
          </ul>
          {points.length > 0 ? <TunePareto points={points} metric={goal?.floor.metric ?? "fidelity"} /> : null}
          <div className="table-wrap">
            <table className="table table--stack" data-testid="tune-trials">
              <thead>
                <tr>
                  <th scope="col">Trial</th>
                  <th scope="col">State</th>
                  <th scope="col" className="num">
                    {goal?.floor.metric ?? "fidelity"}
                  </th>
                  <th scope="col" className="num">
                    Size
                  </th>
                  <th scope="col" className="num">
                    Latency
                  </th>
                  <th scope="col">Notes</th>
                </tr>
              </thead>
              <tbody>
                {report.trials.map((t) => (
                  <tr key={t.jobId} data-testid="tune-trial-row" data-recommended={t.jobId === report.recommendedJobId ? "true" : undefined}>
                    <td data-label="Trial">
                      <Link href={`/jobs/${t.jobId}`} className="mono">
                        {t.candidateId}
                      </Link>
                      {t.rationale ? (
                        <div className="muted small" style={{ maxWidth: "22rem", whiteSpace: "normal" }}>
                          {t.rationale}
                        </div>
                      ) : null}
                    </td>
                    <td data-label="State">
                      <StateBadge state={t.state} />
                    </td>
                    <td data-label={goal?.floor.metric ?? "fidelity"} className="num">
                      {t.floorValue === undefined ? "—" : t.floorValue.toFixed(4)}
                    </td>
                    <td data-label="Size" className="num">
                      {t.sizeBytes === undefined ? "—" : `${formatBytes(t.sizeBytes)} (${((t.sizeRatio ?? 1) * 100).toFixed(0)}%)`}
                    </td>
                    <td data-label="Latency" className="num">
                      {t.latencyRatioP50 === undefined ? "—" : `${t.latencyRatioP50.toFixed(2)}×`}
                    </td>
                    <td data-label="Notes" className="small" style={{ whiteSpace: "normal", maxWidth: "18rem" }}>
                      {t.jobId === report.recommendedJobId ? <strong>recommended </strong> : null}
                      {t.jobId === report.closestJobId ? <strong>closest </strong> : null}
                      {t.onParetoFront ? "front " : null}
                      {t.flagDetails.length ? <span className="muted">{t.flagDetails.join("; ")}</span> : null}
                    </td>
                  </tr>
                ))}
              </tbody>
            </table>
          </div>
        </>
      ) : (
        <p className="muted">Waiting for the coordinator to start the first trials…</p>
      )}
    </section>
  );
}
