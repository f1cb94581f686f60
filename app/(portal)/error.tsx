"use client";

import { ErrorAlert } from "../_components/error-alert";

/** Last-resort boundary for a page that crashed while rendering: say so and offer a retry instead of a blank page. */
export default function PortalError({ error, reset }: { error: Error & { digest?: string }; reset: () => void }) {
  return (
    <div className="card">
      <h1>This page ran into a problem</h1>
      <ErrorAlert message={`${error.message || "unexpected error"}${error.digest ? ` (reference ${error.digest})` : ""}`} />
      <p className="actions" style={{ marginTop: "1rem" }}>
        <button type="button" className="button" onClick={reset}>
          Try again
        </button>
      </p>
    </div>
  );
}
