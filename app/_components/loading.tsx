/** Inline loading indicator with a text for screen readers. */
export function Loading({ label = "Loading…" }: { label?: string }) {
  return (
    <p className="muted" role="status">
      <span className="spinner" aria-hidden="true" /> {label}
    </p>
  );
}
