"use client";

import type { TModelAnalysis, TReport } from "../../contracts/report";
import { formatBytes, formatCount, formatMs } from "../_lib/format";
import { OpHistogramChart, ParamsByDtypeChart } from "./charts/result-charts";
import { TensorTable } from "./tensor-table";

/**
 * What `analyze` found, from report.json: headline numbers, inputs/outputs, op histogram (bars),
 * parameters by dtype and CPU latency with where it was measured.
 */
export function AnalysisView({ report }: { report: TReport }) {
  const original = report.original;
  const analysis = original.analysis;
  return (
    <div className="stack" data-testid="analysis">
      <section className="card" aria-labelledby="analysis-headline">
        <h2 id="analysis-headline">Analysis</h2>
        <div className="stat-row">
          <Stat label="Model size" value={formatBytes(original.sizeBytes)} testId="stat-size" />
          <Stat label="Parameters" value={analysis ? formatCount(analysis.parameters.count) : "—"} />
          <Stat label="Nodes" value={analysis ? formatCount(analysis.nodeCount) : "—"} />
          <Stat label="Latency p50" value={formatMs(original.latencyMs?.p50)} testId="stat-p50" />
          <Stat label="Latency p95" value={formatMs(original.latencyMs?.p95)} testId="stat-p95" />
        </div>
        {original.latencyMs ? (
          <p className="muted small">
            {original.latencyMs.runs} timed runs
            {report.provenance
              ? ` on ${report.provenance.cpu} (${report.provenance.cpuCount} cores), onnxruntime ${report.provenance.onnxruntimeVersion} ${report.provenance.executionProvider}, ${report.provenance.intraOpThreads} intra-op threads`
              : ""}
            {report.inputs ? `; inputs: ${report.inputs.description}` : ""}.
          </p>
        ) : null}
        {report.warnings.length > 0 ? (
          <div className="alert alert--info" role="status">
            <strong>Warnings</strong>
            <ul>
              {report.warnings.map((w) => (
                <li key={w}>{w}</li>
              ))}
            </ul>
          </div>
        ) : null}
      </section>

      {analysis ? (
        <>
          <section className="card" aria-labelledby="analysis-io">
            <h2 id="analysis-io">Inputs and outputs</h2>
            <TensorTable inputs={analysis.inputs} outputs={analysis.outputs} />
            <p className="muted small">
              IR {analysis.irVersion} · opsets {analysis.opsets.map((o) => `${o.domain || "ai.onnx"} ${o.version}`).join(", ")}
              {analysis.producer ? ` · produced by ${analysis.producer}` : ""}
            </p>
          </section>
          <div className="grid-2">
            <section className="card" aria-labelledby="analysis-ops">
              <h2 id="analysis-ops">Operators</h2>
              <OpHistogramChart histogram={analysis.opHistogram} showTitle={false} />
            </section>
            <section className="card" aria-labelledby="analysis-params">
              <h2 id="analysis-params">Parameters by dtype</h2>
              <ParamsByDtypeChart byDtype={analysis.parameters.byDtype} showTitle={false} />
              <ParametersTable parameters={analysis.parameters} />
            </section>
          </div>
        </>
      ) : null}
    </div>
  );
}

function Stat({ label, value, testId }: { label: string; value: string; testId?: string }) {
  return (
    <div className="stat">
      <div className="stat__label">{label}</div>
      <div className="stat__value" data-testid={testId}>
        {value}
      </div>
    </div>
  );
}

function ParametersTable({ parameters }: { parameters: TModelAnalysis["parameters"] }) {
  const rows = Object.entries(parameters.byDtype).sort((a, b) => b[1].bytes - a[1].bytes);
  return (
    <div className="table-wrap">
      <table className="table" data-testid="params-table">
        <thead>
          <tr>
            <th scope="col">Dtype</th>
            <th scope="col" className="num">
              Count
            </th>
            <th scope="col" className="num">
              Bytes
            </th>
          </tr>
        </thead>
        <tbody>
          {rows.map(([dtype, s]) => (
            <tr key={dtype}>
              <td className="mono">{dtype}</td>
              <td className="num">{formatCount(s.count)}</td>
              <td className="num">{formatBytes(s.bytes)}</td>
            </tr>
          ))}
          <tr>
            <td>
              <strong>Total</strong>
            </td>
            <td className="num">
              <strong>{formatCount(parameters.count)}</strong>
            </td>
            <td className="num">
              <strong>{formatBytes(parameters.bytes)}</strong>
            </td>
          </tr>
        </tbody>
      </table>
    </div>
  );
}
