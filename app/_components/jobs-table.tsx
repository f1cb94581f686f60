"use client";

import Link from "next/link";
import { isTerminalJobState } from "../../contracts/job-state";
import { formatDateTime, formatElapsed, formatPercent } from "../_lib/format";
import type { TRouterOutputs } from "../_lib/trpc";
import { StateBadge } from "./state-badge";

export type TJobListItem = TRouterOutputs["jobs"]["list"]["items"][number];

/** Short, readable pipeline label: the preset name, or the passes of a custom pipeline. */
export function describePipeline(job: Pick<TJobListItem, "preset" | "pipeline"> & { kind?: string }): string {
  if (job.kind === "tune") return "tune";
  if (job.preset) return job.preset;
  const steps = (job.pipeline as { steps?: Array<{ pass?: string }> } | null)?.steps;
  return steps?.length ? steps.map((s) => s.pass ?? "?").join(" → ") : "custom";
}

/** Jobs as a table: id, model, pipeline, state, progress, created, duration. */
export function JobsTable({ jobs, modelNames }: { jobs: TJobListItem[]; modelNames?: ReadonlyMap<string, string> }) {
  return (
    <div className="table-wrap">
      <table className="table table--stack" data-testid="jobs-table">
        <thead>
          <tr>
            <th scope="col">Job</th>
            {modelNames ? <th scope="col">Model</th> : null}
            <th scope="col">Pipeline</th>
            <th scope="col">State</th>
            <th scope="col" className="num">
              Progress
            </th>
            <th scope="col">Created</th>
            <th scope="col" className="num">
              Duration
            </th>
          </tr>
        </thead>
        <tbody>
          {jobs.map((job) => (
            <tr key={job.id} data-testid="job-row" data-job-id={job.id}>
              <td data-label="Job">
                <Link href={`/jobs/${job.id}`} className="mono">
                  {job.id.slice(0, 10)}
                </Link>
              </td>
              {modelNames ? (
                <td data-label="Model" className="wrap">
                  <Link href={`/models/${job.modelId}`}>{modelNames.get(job.modelId) ?? job.modelId.slice(0, 10)}</Link>
                </td>
              ) : null}
              <td data-label="Pipeline">{describePipeline(job)}</td>
              <td data-label="State">
                <StateBadge state={job.state} />
              </td>
              <td data-label="Progress" className="num">
                {job.state === "succeeded" ? "100%" : isTerminalJobState(job.state) ? "—" : formatPercent(job.progress)}
              </td>
              <td data-label="Created">{formatDateTime(job.createdAt)}</td>
              <td data-label="Duration" className="num">
                {job.startedAt ? formatElapsed(job.startedAt, job.finishedAt) : "—"}
              </td>
            </tr>
          ))}
        </tbody>
      </table>
    </div>
  );
}
