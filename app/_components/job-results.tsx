"use client";

import type { TReport } from "../../contracts/report";
import { formatBytes, formatCount, formatMs } from "../_lib/format";
import { readAccuracy, readComparisonRows, readFidelityRows, readSensitivity, readStepRows } from "../_lib/report-results";
import { FidelityChart, LatencyChart, SensitivityChart, SizeChart } from "./charts/result-charts";

/**
 * Results of a job that produced a compressed model: original vs compressed (size, latency, fidelity per output),
 * accuracy when labels were given, per-layer sensitivity and the per-step table. Every chart has its numbers in a
 * table too, for screen readers and for copying.
 */
export function JobResults({ report }: { report: TReport }) {
  const comparison = readComparisonRows(report);
  const fidelity = readFidelityRows(report);
  const sensitivity = readSensitivity(report);
  const steps = readStepRows(report);
  const accuracy = readAccuracy(report);
  const size = comparison.find((r) => r.metric === "Size");
  const latency = comparison.filter((r) => r.unit === "ms");
  const p50 = latency.find((r) => r.metric === "Latency p50");
  if (!report.compressed) return null;

  return (
    <section className="card stack" aria-labelledby="results-title" data-testid="job-results">
      <h2 id="results-title">Original vs compressed</h2>
      <div className="stat-row">
        <Stat label="Size" value={size ? `${formatBytes(size.compressed)}` : "—"} detail={size ? `${(size.ratio * 100).toFixed(1)}% of ${formatBytes(size.original)}` : undefined} testId="result-size" />
        <Stat label="Latency p50" value={p50 ? formatMs(p50.compressed) : "—"} detail={p50 ? `${(1 / p50.ratio).toFixed(2)}× vs ${formatMs(p50.original)}` : undefined} testId="result-p50" />
        <Stat
          label="Fidelity (worst output)"
          value={report.fidelity ? report.fidelity.cosine.toFixed(4) : "—"}
          detail={report.fidelity ? `cosine · ${report.fidelity.snrDb.toFixed(1)} dB SNR` : "not measured"}
          testId="result-cosine"
        />
        {accuracy ? (
          <Stat label="Top-1 accuracy" value={`${(accuracy.compressed * 100).toFixed(2)}%`} detail={`${accuracy.deltaPoints >= 0 ? "+" : ""}${accuracy.deltaPoints.toFixed(2)} pts vs ${(accuracy.original * 100).toFixed(2)}%`} testId="result-accuracy" />
        ) : null}
      </div>

      <div className="grid-2">
        {size ? <SizeChart row={size} /> : null}
        {latency.length > 0 ? <LatencyChart rows={latency} /> : null}
      </div>
      {fidelity.length > 0 ? <FidelityChart rows={fidelity} /> : <p className="muted small">Fidelity was not measured for this job.</p>}

      <div className="table-wrap">
        <table className="table table--stack" data-testid="comparison-table">
          <caption className="visually-hidden">Original vs compressed</caption>
          <thead>
            <tr>
              <th scope="col">Metric</th>
              <th scope="col" className="num">Original</th>
              <th scope="col" className="num">Compressed</th>
              <th scope="col" className="num">Ratio</th>
            </tr>
          </thead>
          <tbody>
            {comparison.map((r) => (
              <tr key={r.metric}>
                <td data-label="Metric">{r.metric}</td>
                <td data-label="Original" className="num">{r.unit === "bytes" ? formatBytes(r.original) : formatMs(r.original)}</td>
                <td data-label="Compressed" className="num">{r.unit === "bytes" ? formatBytes(r.compressed) : formatMs(r.compressed)}</td>
                <td data-label="Ratio" className="num">{r.ratio.toFixed(3)}</td>
              </tr>
            ))}
            {fidelity.map((f) => (
              <tr key={`fidelity-${f.output}`}>
                <td data-label="Metric">
                  Cosine · <span className="mono">{f.output}</span>
                </td>
                <td data-label="Original" className="num">1</td>
                <td data-label="Compressed" className="num">{f.cosine.toFixed(5)}</td>
                <td data-label="Ratio" className="num">
                  {f.snrDb.toFixed(1)} dB{f.top1Agreement !== undefined ? ` · top-1 agree ${(f.top1Agreement * 100).toFixed(1)}%` : ""}
                </td>
              </tr>
            ))}
            {accuracy ? (
              <tr>
                <td data-label="Metric">Top-1 accuracy ({formatCount(accuracy.samples)} labelled samples)</td>
                <td data-label="Original" className="num">{(accuracy.original * 100).toFixed(2)}%</td>
                <td data-label="Compressed" className="num">{(accuracy.compressed * 100).toFixed(2)}%</td>
                <td data-label="Ratio" className="num">{accuracy.deltaPoints.toFixed(2)} pts</td>
              </tr>
            ) : null}
          </tbody>
        </table>
      </div>

      {sensitivity.length > 0 ? (
        <div data-testid="sensitivity">
          <SensitivityChart entries={sensitivity} />
          <p className="muted small">
            The layers at the top hurt fidelity most when quantized. To keep them in float, rerun with their names in <em>Nodes to exclude</em>.
          </p>
        </div>
      ) : null}

      {steps.length > 1 ? (
        <div className="table-wrap">
          <table className="table table--stack" data-testid="steps-table">
            <caption className="chart__caption">
              <strong>Per step</strong>
            </caption>
            <thead>
              <tr>
                <th scope="col">#</th>
                <th scope="col">Pass</th>
                <th scope="col" className="num">Size after</th>
                <th scope="col" className="num">Latency p50</th>
                <th scope="col" className="num">Cosine</th>
                <th scope="col" className="num">Took</th>
              </tr>
            </thead>
            <tbody>
              {steps.map((s) => (
                <tr key={s.index}>
                  <td data-label="#">{s.index + 1}</td>
                  <td data-label="Pass" className="mono">
                    {s.pass}
                    {s.note ? <div className="muted small">{s.note}</div> : null}
                  </td>
                  <td data-label="Size after" className="num">{s.sizeBytes !== undefined ? formatBytes(s.sizeBytes) : "—"}</td>
                  <td data-label="Latency p50" className="num">{formatMs(s.latencyMsP50)}</td>
                  <td data-label="Cosine" className="num">{s.cosine !== undefined ? s.cosine.toFixed(4) : "—"}</td>
                  <td data-label="Took" className="num">{s.durationMs !== undefined ? formatMs(s.durationMs) : "—"}</td>
                </tr>
              ))}
            </tbody>
          </table>
        </div>
      ) : null}
    </section>
  );
}

function Stat({ label, value, detail, testId }: { label: string; value: string; detail?: string; testId?: string }) {
  return (
    <div className="stat">
      <div className="stat__label">{label}</div>
      <div className="stat__value" data-testid={testId}>
        {value}
      </div>
      {detail ? <div className="muted small">{detail}</div> : null}
    </div>
  );
}
