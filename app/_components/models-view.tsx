"use client";

import { useInfiniteQuery } from "@tanstack/react-query";
import Link from "next/link";
import { formatBytes, formatDateTime } from "../_lib/format";
import { getUserMessage } from "../_lib/errors";
import { readModelSummary } from "../_lib/model-summary";
import { useTRPC } from "../_lib/trpc";
import { ErrorAlert } from "./error-alert";
import { Loading } from "./loading";
import { StateBadge } from "./state-badge";
import { UploadPanel } from "./upload-panel";

const PAGE_SIZE = 25;
/** An upload without progress for this long was abandoned (tab closed): it no longer keeps the list polling. */
const ABANDONED_UPLOAD_MS = 15 * 60_000;

function isSettling(model: { state: string; updatedAt: string }): boolean {
  if (model.state === "validating") return true;
  return model.state === "uploading" && Date.now() - new Date(model.updatedAt).getTime() < ABANDONED_UPLOAD_MS;
}

/** The models page: upload panel, then the list (name, size, upload date, state, opset), newest first. */
export function ModelsView() {
  const trpc = useTRPC();
  const models = useInfiniteQuery(
    trpc.models.list.infiniteQueryOptions(
      { limit: PAGE_SIZE },
      {
        getNextPageParam: (page) => page.nextCursor ?? undefined,
        // Models still uploading or validating change state on their own: poll until they settle.
        refetchInterval: (query) => (query.state.data?.pages.some((p) => p.items.some(isSettling)) ? 2000 : false),
      },
    ),
  );
  const items = models.data?.pages.flatMap((p) => p.items) ?? [];

  return (
    <>
      <div className="page-header">
        <div>
          <h1>Models</h1>
          <p>Upload ONNX models, inspect them and run compression jobs.</p>
        </div>
      </div>
      <UploadPanel />
      <section aria-labelledby="models-list-title">
        <h2 id="models-list-title" className="visually-hidden">
          Your models
        </h2>
        {models.isPending ? (
          <Loading label="Loading models…" />
        ) : models.isError ? (
          <ErrorAlert title="Could not load your models" message={getUserMessage(models.error)} />
        ) : items.length === 0 ? (
          <div className="card empty" data-testid="models-empty">
            <h3>No models yet</h3>
            <p>Drop an .onnx file above to get started. Your models stay private to your workspace.</p>
          </div>
        ) : (
          <>
            <div className="table-wrap">
              <table className="table table--stack" data-testid="models-table">
                <thead>
                  <tr>
                    <th scope="col">Name</th>
                    <th scope="col" className="num">
                      Size
                    </th>
                    <th scope="col">Uploaded</th>
                    <th scope="col">State</th>
                    <th scope="col" className="num">
                      Opset
                    </th>
                  </tr>
                </thead>
                <tbody>
                  {items.map((model) => {
                    const summary = readModelSummary(model.summary);
                    return (
                      <tr key={model.id} data-testid="model-row" data-model-id={model.id}>
                        <td data-label="Name" className="wrap">
                          <Link href={`/models/${model.id}`}>{model.name}</Link>
                          {model.state === "failed" && model.error ? <div className="field__error">{model.error}</div> : null}
                        </td>
                        <td data-label="Size" className="num">
                          {formatBytes(model.sizeBytes)}
                        </td>
                        <td data-label="Uploaded">{formatDateTime(model.createdAt)}</td>
                        <td data-label="State">
                          <StateBadge state={model.state} />
                        </td>
                        <td data-label="Opset" className="num">
                          {summary.defaultOpset ?? "—"}
                        </td>
                      </tr>
                    );
                  })}
                </tbody>
              </table>
            </div>
            {models.hasNextPage ? (
              <p>
                <button className="button button--secondary" type="button" onClick={() => models.fetchNextPage()} disabled={models.isFetchingNextPage}>
                  {models.isFetchingNextPage ? "Loading…" : "Load more"}
                </button>
              </p>
            ) : null}
          </>
        )}
      </section>
    </>
  );
}
