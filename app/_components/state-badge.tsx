/** Colour-coded state of a job or model (queued, running, succeeded, failed, canceled, uploading, ready, …). */
export function StateBadge({ state }: { state: string }) {
  return (
    <span className={`badge badge--${state}`} data-testid="state-badge">
      {state}
    </span>
  );
}
