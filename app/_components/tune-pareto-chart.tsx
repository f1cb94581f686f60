"use client";

import { CartesianGrid, Legend, ResponsiveContainer, Scatter, ScatterChart, Tooltip, XAxis, YAxis } from "recharts";
import { formatBytes } from "../_lib/format";
import { AXIS_TICK, CHART_COLORS, ChartFrame, TOOLTIP_PROPS } from "./charts/chart-frame";

export type TTunePoint = { id: string; label: string; sizeBytes: number; latencyRatio: number; quality: number; onFront: boolean; recommended: boolean };

/**
 * The tune job's trials: size (x) × latency ratio (y), Pareto-optimal trials in the front colour, the recommended
 * trial as a star in the accent colour. The front is over size × latency × fidelity, so its points are not joined:
 * a line through a 3-D front drawn in 2-D would suggest trade-offs that are not there. Built from the compare page's chart pieces (ChartFrame, colours, tooltip), with the
 * extra "recommended" series the compare chart does not have.
 */
export function TunePareto({ points, metric }: { points: TTunePoint[]; metric: string }) {
  const front = points.filter((p) => p.onFront && !p.recommended);
  const rest = points.filter((p) => !p.onFront && !p.recommended);
  const chosen = points.filter((p) => p.recommended);
  return (
    <ChartFrame
      title="Trials: size × latency"
      description={`${points.length} finished trials; ${points.filter((p) => p.onFront).length} on the Pareto front (size × latency × ${metric})${chosen[0] ? `; recommended: ${chosen[0].label}` : ""}. Lower left is smaller and faster.`}
      height={320}
      testId="tune-pareto-chart"
    >
      <ResponsiveContainer width="100%" height="100%">
        <ScatterChart margin={{ left: 8, right: 24, top: 12, bottom: 24 }}>
          <CartesianGrid stroke={CHART_COLORS.grid} />
          <XAxis type="number" dataKey="sizeBytes" name="Size" tick={AXIS_TICK} stroke={CHART_COLORS.grid} tickFormatter={(v: number) => formatBytes(v)} domain={["auto", "auto"]} />
          <YAxis type="number" dataKey="latencyRatio" name="Latency" tick={AXIS_TICK} stroke={CHART_COLORS.grid} width={60} tickFormatter={(v: number) => `${v.toFixed(2)}×`} domain={["auto", "auto"]} />
          <Tooltip
            {...TOOLTIP_PROPS}
            content={({ active, payload }) => {
              const p = active ? (payload?.[0]?.payload as TTunePoint | undefined) : undefined;
              if (!p) return null;
              return (
                <div style={{ ...TOOLTIP_PROPS.contentStyle, padding: "6px 8px" }}>
                  <strong>{p.label}</strong>
                  <div>
                    {formatBytes(p.sizeBytes)} · {p.latencyRatio.toFixed(3)}× latency · {metric} {p.quality.toFixed(4)}
                  </div>
                  <div>{p.recommended ? "recommended" : p.onFront ? "Pareto-optimal" : "dominated"}</div>
                </div>
              );
            }}
          />
          <Legend verticalAlign="top" wrapperStyle={{ fontSize: 13 }} />
          <Scatter name="Pareto front" data={front} fill={CHART_COLORS.front} isAnimationActive={false} />
          <Scatter name="Dominated" data={rest} fill={CHART_COLORS.muted} isAnimationActive={false} />
          <Scatter name="Recommended" data={chosen} fill={CHART_COLORS.accent} shape="star" legendType="star" isAnimationActive={false} />
        </ScatterChart>
      </ResponsiveContainer>
    </ChartFrame>
  );
}
