"use client";

import { useQueries, useQuery } from "@tanstack/react-query";
import { ZReport, type TReport } from "../../contracts/report";
import { useTRPCClient } from "./trpc";

const REPORT_ARTIFACT = "report.json";

type TClient = ReturnType<typeof useTRPCClient>;

/** report.json is the source of truth for results: read through its presigned URL, exactly like a user download. */
async function fetchJobReport(client: TClient, jobId: string): Promise<TReport> {
  const link = await client.jobs.getArtifactUrl.query({ jobId, name: REPORT_ARTIFACT });
  const res = await fetch(link.url);
  if (!res.ok) throw new Error(`report.json could not be read (storage answered HTTP ${res.status})`);
  const parsed = ZReport.safeParse(await res.json());
  if (!parsed.success) throw new Error("report.json does not match the report format this portal understands");
  return parsed.data;
}

/** Query options for one job's report; a finished job's report never changes, so it is cached for the session. */
function reportQuery(client: TClient, jobId: string, enabled: boolean) {
  return { queryKey: ["job-report", jobId], enabled, staleTime: Infinity, queryFn: () => fetchJobReport(client, jobId) };
}

/** The report of one job, once `enabled` (the job succeeded and published report.json). */
export function useJobReport(jobId: string | undefined, enabled: boolean) {
  const client = useTRPCClient();
  return useQuery(reportQuery(client, jobId ?? "", enabled && Boolean(jobId)));
}

/** Reports of several jobs at once (compare page), in the order of `jobIds`. */
export function useJobReports(jobIds: readonly string[]) {
  const client = useTRPCClient();
  return useQueries({ queries: jobIds.map((id) => reportQuery(client, id, true)) });
}

/** True when the job published a report.json. */
export function hasReportArtifact(job: { state: string; artifacts: ReadonlyArray<{ name: string }> }): boolean {
  return job.state === "succeeded" && job.artifacts.some((a) => a.name === REPORT_ARTIFACT);
}
