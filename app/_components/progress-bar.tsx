import { formatPercent } from "../_lib/format";

/**
 * A labelled progress bar (0..1). `left`/`right` carry details such as bytes sent or speed.
 * Exposed as role="progressbar" so assistive tech reads the percentage.
 */
export function ProgressBar({ value, label, left, right }: { value: number; label: string; left?: string; right?: string }) {
  const percent = Math.round(Math.min(1, Math.max(0, value)) * 100);
  return (
    <div className="progress">
      <div
        className="progress__track"
        role="progressbar"
        aria-label={label}
        aria-valuemin={0}
        aria-valuemax={100}
        aria-valuenow={percent}
        aria-valuetext={`${percent}%`}
      >
        <div className="progress__bar" style={{ width: `${percent}%` }} />
      </div>
      <div className="progress__meta">
        <span>{left ?? formatPercent(value)}</span>
        {right ? <span>{right}</span> : null}
      </div>
    </div>
  );
}
