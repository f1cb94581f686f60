"use client";

import { CartesianGrid, Legend, ResponsiveContainer, Scatter, ScatterChart, Tooltip, XAxis, YAxis, ZAxis } from "recharts";
import { formatBytes, formatMs } from "../../_lib/format";
import { AXIS_TICK, CHART_COLORS, ChartFrame, TOOLTIP_PROPS } from "./chart-frame";

export type TComparePoint = { id: string; label: string; sizeBytes: number; latencyMs: number; fidelity: number; onFront: boolean };

/**
 * Size (x) × latency (y) with fidelity as the dot size; Pareto-optimal jobs are drawn in the front colour and joined
 * by a line, dominated ones are muted. Lower-left is better; bigger dots are more faithful.
 */
export function ParetoChart({ points }: { points: TComparePoint[] }) {
  const front = points.filter((p) => p.onFront).sort((a, b) => a.sizeBytes - b.sizeBytes);
  const rest = points.filter((p) => !p.onFront);
  const minFidelity = Math.min(...points.map((p) => p.fidelity));
  // Dot area follows fidelity relative to the worst job, so 0.99 vs 0.999 is visible.
  const withZ = (p: TComparePoint) => ({ ...p, z: minFidelity < 1 ? (p.fidelity - minFidelity) / (1 - minFidelity) : 1 });
  return (
    <ChartFrame
      title="Size × latency × fidelity"
      description={`${points.length} results; ${front.length} on the Pareto front (${front.map((p) => p.label).join(", ")}). Lower left is smaller and faster; bigger dots are more faithful.`}
      height={340}
      testId="chart-pareto"
    >
      <ResponsiveContainer width="100%" height="100%">
        <ScatterChart margin={{ left: 8, right: 24, top: 12, bottom: 24 }}>
          <CartesianGrid stroke={CHART_COLORS.grid} />
          <XAxis
            type="number"
            dataKey="sizeBytes"
            name="Size"
            tick={AXIS_TICK}
            stroke={CHART_COLORS.grid}
            tickFormatter={(v: number) => formatBytes(v)}
            domain={["auto", "auto"]}
            label={{ value: "size", position: "insideBottom", offset: -14, fill: CHART_COLORS.text, fontSize: 12 }}
          />
          <YAxis
            type="number"
            dataKey="latencyMs"
            name="Latency p50"
            tick={AXIS_TICK}
            stroke={CHART_COLORS.grid}
            width={72}
            tickFormatter={(v: number) => formatMs(v)}
            domain={["auto", "auto"]}
          />
          <ZAxis type="number" dataKey="z" range={[60, 360]} domain={[0, 1]} />
          <Tooltip
            {...TOOLTIP_PROPS}
            cursor={{ strokeDasharray: "3 3" }}
            content={({ active, payload }) => {
              const p = active ? (payload?.[0]?.payload as TComparePoint | undefined) : undefined;
              if (!p) return null;
              return (
                <div style={TOOLTIP_PROPS.contentStyle}>
                  <div style={{ padding: "6px 8px" }}>
                    <strong>{p.label}</strong>
                    <div>{formatBytes(p.sizeBytes)} · {formatMs(p.latencyMs)} · cosine {p.fidelity.toFixed(4)}</div>
                    <div>{p.onFront ? "Pareto-optimal" : "dominated by another result"}</div>
                  </div>
                </div>
              );
            }}
          />
          <Legend verticalAlign="top" wrapperStyle={{ fontSize: 13 }} />
          <Scatter name="Pareto front" data={front.map(withZ)} fill={CHART_COLORS.front} line={{ stroke: CHART_COLORS.front, strokeWidth: 2 }} isAnimationActive={false} />
          <Scatter name="Dominated" data={rest.map(withZ)} fill={CHART_COLORS.muted} isAnimationActive={false} />
        </ScatterChart>
      </ResponsiveContainer>
    </ChartFrame>
  );
}
