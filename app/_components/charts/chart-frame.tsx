"use client";

import { useEffect, useState, type ReactNode } from "react";

/**
 * Colours come from CSS custom properties (globals.css `--chart-*`), so charts follow the light/dark theme without
 * re-rendering: SVG presentation attributes accept var() in every browser the portal supports.
 */
export const CHART_COLORS = {
  original: "var(--chart-original)",
  compressed: "var(--chart-compressed)",
  accent: "var(--chart-accent)",
  front: "var(--chart-front)",
  muted: "var(--chart-muted)",
  danger: "var(--danger)",
  grid: "var(--border)",
  text: "var(--text-muted)",
} as const;

/** Axis tick style shared by every chart. */
export const AXIS_TICK = { fill: CHART_COLORS.text, fontSize: 12 } as const;

/** Tooltip styling on the theme's surface colours. */
export const TOOLTIP_PROPS = {
  contentStyle: { background: "var(--surface)", border: "1px solid var(--border)", borderRadius: 6, color: "var(--text)", fontSize: 13 },
  labelStyle: { color: "var(--text)", fontWeight: 600 },
  itemStyle: { color: "var(--text)" },
  cursor: { fill: "var(--surface-2)" },
} as const;

/**
 * A chart with a caption that says what it shows (read by screen readers in place of the drawing, whose numbers
 * are also in the table next to it). The chart only renders in the browser: it measures its container, which the
 * server cannot.
 */
export function ChartFrame({
  title,
  description,
  height,
  testId,
  showTitle = true,
  children,
}: {
  title: string;
  description: string;
  height: number;
  testId?: string;
  /** false where a heading right above already names the chart. */
  showTitle?: boolean;
  children: ReactNode;
}) {
  const [mounted, setMounted] = useState(false);
  useEffect(() => setMounted(true), []);
  return (
    <figure className="chart" data-testid={testId}>
      <figcaption className="chart__caption">
        {showTitle ? <strong>{title}</strong> : null}
        <span className="muted small">{description}</span>
      </figcaption>
      <div className="chart__body" style={{ height }} role="img" aria-label={`${title}: ${description}`}>
        {mounted ? children : null}
      </div>
    </figure>
  );
}
