"use client";

import { useInfiniteQuery, useQuery } from "@tanstack/react-query";
import Link from "next/link";
import { getUserMessage } from "../_lib/errors";
import { useTRPC } from "../_lib/trpc";
import { ErrorAlert } from "./error-alert";
import { JobsTable } from "./jobs-table";
import { Loading } from "./loading";

const PAGE_SIZE = 25;

/** All jobs of the workspace, newest first; unfinished ones refresh on their own. */
export function JobsView() {
  const trpc = useTRPC();
  const jobs = useInfiniteQuery(
    trpc.jobs.list.infiniteQueryOptions(
      { limit: PAGE_SIZE },
      {
        getNextPageParam: (page) => page.nextCursor ?? undefined,
        refetchInterval: (q) =>
          q.state.data?.pages.some((p) => p.items.some((j) => j.state === "queued" || j.state === "running")) ? 2000 : false,
      },
    ),
  );
  // Names for the model column; the newest 100 models cover the jobs anyone scrolls to in practice.
  const models = useQuery(trpc.models.list.queryOptions({ limit: 100 }));
  const modelNames = new Map((models.data?.items ?? []).map((m) => [m.id, m.name]));
  const items = jobs.data?.pages.flatMap((p) => p.items) ?? [];

  return (
    <>
      <div className="page-header">
        <div>
          <h1>Jobs</h1>
          <p>Compression and analysis runs of your models.</p>
        </div>
      </div>
      {jobs.isPending ? (
        <Loading label="Loading jobs…" />
      ) : jobs.isError ? (
        <ErrorAlert title="Could not load your jobs" message={getUserMessage(jobs.error)} />
      ) : items.length === 0 ? (
        <div className="card empty" data-testid="jobs-empty">
          <h3>No jobs yet</h3>
          <p>
            Open a model from <Link href="/models">Models</Link> and start a job with a preset such as <code>analyze</code>.
          </p>
        </div>
      ) : (
        <>
          <JobsTable jobs={items} modelNames={modelNames} />
          {jobs.hasNextPage ? (
            <p>
              <button className="button button--secondary" type="button" onClick={() => jobs.fetchNextPage()} disabled={jobs.isFetchingNextPage}>
                {jobs.isFetchingNextPage ? "Loading…" : "Load more"}
              </button>
            </p>
          ) : null}
        </>
      )}
    </>
  );
}
