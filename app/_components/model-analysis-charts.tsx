"use client";

import type { TModelAnalysis } from "../../contracts/report";
import { formatBytes, formatCount, formatMs } from "../_lib/format";
import { OpHistogramChart, ParamsByDtypeChart } from "./charts/result-charts";

/** The model page's analysis: headline numbers, op histogram chart and parameter bytes by dtype. */
export function ModelAnalysisCharts({ analysis, latencyMs }: { analysis: TModelAnalysis; latencyMs?: { p50: number; p95: number; runs: number } }) {
  return (
    <div className="stack">
      <div className="stat-row">
        <div className="stat">
          <div className="stat__label">Parameters</div>
          <div className="stat__value">{formatCount(analysis.parameters.count)}</div>
        </div>
        <div className="stat">
          <div className="stat__label">Weights</div>
          <div className="stat__value">{formatBytes(analysis.parameters.bytes)}</div>
        </div>
        <div className="stat">
          <div className="stat__label">Nodes</div>
          <div className="stat__value">{formatCount(analysis.nodeCount)}</div>
        </div>
        <div className="stat">
          <div className="stat__label">Latency p50 / p95</div>
          <div className="stat__value" data-testid="model-latency">
            {latencyMs ? `${formatMs(latencyMs.p50)} / ${formatMs(latencyMs.p95)}` : "—"}
          </div>
        </div>
      </div>
      <div className="grid-2">
        <OpHistogramChart histogram={analysis.opHistogram} />
        <ParamsByDtypeChart byDtype={analysis.parameters.byDtype} />
      </div>
    </div>
  );
}
