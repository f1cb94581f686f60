"use client";

import { Bar, BarChart, CartesianGrid, Cell, LabelList, Legend, ResponsiveContainer, Tooltip, XAxis, YAxis } from "recharts";
import type { TSensitivityEntry } from "../../../contracts/report";
import { formatBytes, formatMs } from "../../_lib/format";
import type { TComparisonRow, TFidelityRow } from "../../_lib/report-results";
import { AXIS_TICK, CHART_COLORS, ChartFrame, TOOLTIP_PROPS } from "./chart-frame";

/** Original vs compressed file size, two bars. */
export function SizeChart({ row }: { row: TComparisonRow }) {
  const data = [
    { name: "Original", value: row.original, fill: CHART_COLORS.original },
    { name: "Compressed", value: row.compressed, fill: CHART_COLORS.compressed },
  ];
  return (
    <ChartFrame
      title="Size"
      description={`${formatBytes(row.original)} → ${formatBytes(row.compressed)} (${(row.ratio * 100).toFixed(1)}% of the original)`}
      height={180}
      testId="chart-size"
    >
      <ResponsiveContainer width="100%" height="100%">
        <BarChart data={data} layout="vertical" margin={{ left: 8, right: 72, top: 4, bottom: 4 }}>
          <CartesianGrid horizontal={false} stroke={CHART_COLORS.grid} />
          <XAxis type="number" tick={AXIS_TICK} tickFormatter={(v: number) => formatBytes(v)} stroke={CHART_COLORS.grid} />
          <YAxis type="category" dataKey="name" tick={AXIS_TICK} width={90} stroke={CHART_COLORS.grid} />
          <Tooltip {...TOOLTIP_PROPS} formatter={(v) => [formatBytes(Number(v)), "Size"]} />
          <Bar dataKey="value" isAnimationActive={false} radius={[0, 4, 4, 0]}>
            {data.map((d) => (
              <Cell key={d.name} fill={d.fill} />
            ))}
            <LabelList dataKey="value" position="right" formatter={(v) => formatBytes(Number(v))} fill={CHART_COLORS.text} fontSize={12} />
          </Bar>
        </BarChart>
      </ResponsiveContainer>
    </ChartFrame>
  );
}

/** Latency p50 and p95, original vs compressed side by side (measured interleaved by the worker). */
export function LatencyChart({ rows }: { rows: TComparisonRow[] }) {
  const data = rows.map((r) => ({ metric: r.metric.replace("Latency ", ""), original: r.original, compressed: r.compressed }));
  const p50 = rows.find((r) => r.metric === "Latency p50");
  return (
    <ChartFrame
      title="Latency"
      description={p50 ? `p50 ${formatMs(p50.original)} → ${formatMs(p50.compressed)} (${(1 / p50.ratio).toFixed(2)}× speed)` : "p50 and p95"}
      height={220}
      testId="chart-latency"
    >
      <ResponsiveContainer width="100%" height="100%">
        <BarChart data={data} margin={{ left: 8, right: 8, top: 16, bottom: 4 }}>
          <CartesianGrid vertical={false} stroke={CHART_COLORS.grid} />
          <XAxis dataKey="metric" tick={AXIS_TICK} stroke={CHART_COLORS.grid} />
          <YAxis tick={AXIS_TICK} tickFormatter={(v: number) => formatMs(v)} width={72} stroke={CHART_COLORS.grid} />
          <Tooltip {...TOOLTIP_PROPS} formatter={(v, name) => [formatMs(Number(v)), name === "original" ? "Original" : "Compressed"]} />
          <Legend formatter={(v: string) => (v === "original" ? "Original" : "Compressed")} wrapperStyle={{ fontSize: 13 }} />
          <Bar dataKey="original" fill={CHART_COLORS.original} isAnimationActive={false} radius={[4, 4, 0, 0]} />
          <Bar dataKey="compressed" fill={CHART_COLORS.compressed} isAnimationActive={false} radius={[4, 4, 0, 0]} />
        </BarChart>
      </ResponsiveContainer>
    </ChartFrame>
  );
}

/** Cosine similarity per output; the axis starts near the worst value so small differences stay visible. */
export function FidelityChart({ rows }: { rows: TFidelityRow[] }) {
  const worst = Math.min(...rows.map((r) => r.cosine));
  const floor = Math.max(0, Math.floor((worst - 0.01) * 100) / 100);
  return (
    <ChartFrame title="Fidelity per output" description={`cosine vs the original; worst ${worst.toFixed(4)}`} height={Math.max(120, 48 * rows.length + 50)} testId="chart-fidelity">
      <ResponsiveContainer width="100%" height="100%">
        <BarChart data={rows} layout="vertical" margin={{ left: 8, right: 64, top: 4, bottom: 4 }}>
          <CartesianGrid horizontal={false} stroke={CHART_COLORS.grid} />
          <XAxis type="number" domain={[floor, 1]} tick={AXIS_TICK} stroke={CHART_COLORS.grid} tickFormatter={(v: number) => v.toFixed(3)} />
          <YAxis type="category" dataKey="output" tick={AXIS_TICK} width={110} stroke={CHART_COLORS.grid} />
          <Tooltip {...TOOLTIP_PROPS} formatter={(v) => [Number(v).toFixed(5), "Cosine"]} />
          <Bar dataKey="cosine" fill={CHART_COLORS.compressed} isAnimationActive={false} radius={[0, 4, 4, 0]}>
            <LabelList dataKey="cosine" position="right" formatter={(v) => Number(v).toFixed(4)} fill={CHART_COLORS.text} fontSize={12} />
          </Bar>
        </BarChart>
      </ResponsiveContainer>
    </ChartFrame>
  );
}

/** Cosines near 1 need more digits to differ: 0.999994 vs 0.999871. */
function formatCosine(cosine: number): string {
  return cosine >= 0.999 ? cosine.toFixed(6) : cosine.toFixed(4);
}

/** Per-layer sensitivity: cosine lost with only that layer quantized, worst layer at the top. */
export function SensitivityChart({ entries }: { entries: TSensitivityEntry[] }) {
  const data = entries.map((e) => ({ ...e, loss: Math.max(0, 1 - e.cosine), label: `${e.node} (${e.opType})` }));
  return (
    <ChartFrame
      title="Per-layer sensitivity"
      description={`cosine lost when only that layer is quantized, worst first (${entries.length} layers)`}
      height={Math.max(140, 28 * data.length + 50)}
      testId="chart-sensitivity"
    >
      <ResponsiveContainer width="100%" height="100%">
        <BarChart data={data} layout="vertical" margin={{ left: 8, right: 80, top: 4, bottom: 4 }}>
          <CartesianGrid horizontal={false} stroke={CHART_COLORS.grid} />
          <XAxis type="number" tick={AXIS_TICK} stroke={CHART_COLORS.grid} tickFormatter={(v: number) => (v === 0 ? "0" : v.toExponential(0))} />
          <YAxis type="category" dataKey="node" tick={AXIS_TICK} width={140} stroke={CHART_COLORS.grid} interval={0} />
          <Tooltip {...TOOLTIP_PROPS} formatter={(v, _n, item) => [`cosine ${formatCosine(1 - Number(v))}, ${(item.payload as { snrDb: number }).snrDb.toFixed(1)} dB`, "Alone quantized"]} />
          <Bar dataKey="loss" isAnimationActive={false} radius={[0, 4, 4, 0]}>
            {data.map((d, i) => (
              <Cell key={d.node} fill={i < 3 ? CHART_COLORS.danger : CHART_COLORS.accent} />
            ))}
            <LabelList dataKey="cosine" position="right" formatter={(v) => formatCosine(Number(v))} fill={CHART_COLORS.text} fontSize={11} />
          </Bar>
        </BarChart>
      </ResponsiveContainer>
    </ChartFrame>
  );
}

/** How many op types the histogram shows before folding the rest into "other". */
const MAX_HISTOGRAM_ROWS = 15;

/** Node count per op type, most frequent first; the long tail folds into one "other" bar. */
export function OpHistogramChart({ histogram, showTitle }: { histogram: Record<string, number>; showTitle?: boolean }) {
  const sorted = Object.entries(histogram).sort((a, b) => b[1] - a[1] || a[0].localeCompare(b[0]));
  const shown = sorted.slice(0, MAX_HISTOGRAM_ROWS).map(([op, count]) => ({ op, count }));
  const rest = sorted.slice(MAX_HISTOGRAM_ROWS);
  if (rest.length > 0) shown.push({ op: `${rest.length} other types`, count: rest.reduce((sum, [, n]) => sum + n, 0) });
  const total = sorted.reduce((sum, [, n]) => sum + n, 0);
  return (
    <ChartFrame title="Operators" description={`${total} nodes of ${sorted.length} op types`} height={Math.max(120, 24 * shown.length + 40)} testId="chart-ops" showTitle={showTitle}>
      <ResponsiveContainer width="100%" height="100%">
        <BarChart data={shown} layout="vertical" margin={{ left: 8, right: 40, top: 4, bottom: 4 }}>
          <XAxis type="number" allowDecimals={false} tick={AXIS_TICK} stroke={CHART_COLORS.grid} hide />
          <YAxis type="category" dataKey="op" tick={AXIS_TICK} width={130} stroke={CHART_COLORS.grid} interval={0} />
          <Tooltip {...TOOLTIP_PROPS} formatter={(v) => [String(v), "Nodes"]} />
          <Bar dataKey="count" fill={CHART_COLORS.accent} isAnimationActive={false} radius={[0, 4, 4, 0]}>
            <LabelList dataKey="count" position="right" fill={CHART_COLORS.text} fontSize={12} />
          </Bar>
        </BarChart>
      </ResponsiveContainer>
    </ChartFrame>
  );
}

/** Parameter bytes per dtype (float32 vs int8 vs float16 ...). */
export function ParamsByDtypeChart({ byDtype, showTitle }: { byDtype: Record<string, { count: number; bytes: number }>; showTitle?: boolean }) {
  const data = Object.entries(byDtype)
    .map(([dtype, s]) => ({ dtype, bytes: s.bytes, count: s.count }))
    .sort((a, b) => b.bytes - a.bytes);
  return (
    <ChartFrame title="Parameter bytes by dtype" description={data.map((d) => `${d.dtype} ${formatBytes(d.bytes)}`).join(", ")} height={Math.max(100, 32 * data.length + 40)} testId="chart-dtypes" showTitle={showTitle}>
      <ResponsiveContainer width="100%" height="100%">
        <BarChart data={data} layout="vertical" margin={{ left: 8, right: 72, top: 4, bottom: 4 }}>
          <XAxis type="number" hide />
          <YAxis type="category" dataKey="dtype" tick={AXIS_TICK} width={80} stroke={CHART_COLORS.grid} />
          <Tooltip {...TOOLTIP_PROPS} formatter={(v) => [formatBytes(Number(v)), "Bytes"]} />
          <Bar dataKey="bytes" fill={CHART_COLORS.compressed} isAnimationActive={false} radius={[0, 4, 4, 0]}>
            <LabelList dataKey="bytes" position="right" formatter={(v) => formatBytes(Number(v))} fill={CHART_COLORS.text} fontSize={12} />
          </Bar>
        </BarChart>
      </ResponsiveContainer>
    </ChartFrame>
  );
}
