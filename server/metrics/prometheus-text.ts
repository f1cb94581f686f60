/**
 * A small Prometheus registry writing the text exposition format (version 0.0.4) itself: prom-client is not a
 * dependency, and the platform needs only counters, gauges and histograms with a few bounded labels.
 * Names follow the Prometheus conventions: base units in the name (`_seconds`, `_bytes`), counters end in `_total`.
 */

/** Content-Type of the text exposition format. */
export const PROMETHEUS_CONTENT_TYPE = "text/plain; version=0.0.4; charset=utf-8";

export type TLabels = Readonly<Record<string, string>>;

type TMetricKind = "counter" | "gauge" | "histogram";

type TMetricBase = { name: string; help: string; kind: TMetricKind; labelNames: readonly string[] };

export type TCounter = TMetricBase & { kind: "counter"; inc: (labels?: TLabels, by?: number) => void; get: (labels?: TLabels) => number };
export type TGauge = TMetricBase & { kind: "gauge"; set: (value: number, labels?: TLabels) => void; get: (labels?: TLabels) => number; reset: () => void };
export type THistogram = TMetricBase & {
  kind: "histogram";
  buckets: readonly number[];
  observe: (value: number, labels?: TLabels) => void;
  /** Observation count and sum for one label set (tests, summaries). */
  get: (labels?: TLabels) => { count: number; sum: number };
};
export type TMetric = TCounter | TGauge | THistogram;

const NAME_RE = /^[a-zA-Z_:][a-zA-Z0-9_:]*$/;
const LABEL_RE = /^[a-zA-Z_][a-zA-Z0-9_]*$/;

/** Default job-duration buckets: compression jobs take seconds to an hour. */
export const JOB_DURATION_BUCKETS_SECONDS = [1, 5, 15, 30, 60, 120, 300, 600, 1800, 3600] as const;

/** Escapes a label value: backslash, double quote and newline (exposition format rules). */
export function escapeLabelValue(value: string): string {
  return value.replace(/\\/g, "\\\\").replace(/"/g, '\\"').replace(/\n/g, "\\n");
}

/** Escapes HELP text: backslash and newline. */
function escapeHelp(help: string): string {
  return help.replace(/\\/g, "\\\\").replace(/\n/g, "\\n");
}

/** Formats a sample value the way Prometheus parses it (+Inf, -Inf, NaN spelled out). */
export function formatSampleValue(value: number): string {
  if (Number.isNaN(value)) return "NaN";
  if (value === Infinity) return "+Inf";
  if (value === -Infinity) return "-Inf";
  return String(value);
}

function formatLabels(labels: TLabels, extra?: [string, string]): string {
  const pairs = Object.entries(labels).sort(([a], [b]) => a.localeCompare(b));
  if (extra) pairs.push(extra);
  if (pairs.length === 0) return "";
  return `{${pairs.map(([k, v]) => `${k}="${escapeLabelValue(v)}"`).join(",")}}`;
}

/** A stable key for one label set; also rejects labels the metric does not declare (a typo would split series). */
function keyOf(metric: TMetricBase, labels: TLabels): string {
  const names = Object.keys(labels);
  for (const n of names) if (!metric.labelNames.includes(n)) throw new Error(`metric ${metric.name} has no label "${n}"`);
  if (names.length !== metric.labelNames.length) throw new Error(`metric ${metric.name} needs labels ${metric.labelNames.join(", ")}`);
  return JSON.stringify(metric.labelNames.map((n) => labels[n]));
}

function checkNames(name: string, labelNames: readonly string[]): void {
  if (!NAME_RE.test(name)) throw new Error(`invalid metric name "${name}"`);
  for (const l of labelNames) if (!LABEL_RE.test(l) || l.startsWith("__") || l === "le") throw new Error(`invalid label name "${l}"`);
}

export type TRegistry = {
  counter: (name: string, help: string, labelNames?: readonly string[]) => TCounter;
  gauge: (name: string, help: string, labelNames?: readonly string[]) => TGauge;
  histogram: (name: string, help: string, buckets: readonly number[], labelNames?: readonly string[]) => THistogram;
  /** The whole registry in the text exposition format (ends with a newline). */
  render: () => string;
};

/** Creates an empty registry. Registering the same name twice returns the first metric (idempotent modules). */
export function createRegistry(): TRegistry {
  const metrics = new Map<string, { metric: TMetric; render: () => string[] }>();

  const register = <M extends TMetric>(metric: M, render: () => string[]): M => {
    const existing = metrics.get(metric.name);
    if (existing) {
      if (existing.metric.kind !== metric.kind) throw new Error(`metric ${metric.name} is already a ${existing.metric.kind}`);
      return existing.metric as M;
    }
    metrics.set(metric.name, { metric, render });
    return metric;
  };

  const counter = (name: string, help: string, labelNames: readonly string[] = []): TCounter => {
    checkNames(name, labelNames);
    if (!name.endsWith("_total")) throw new Error(`counter ${name} must end in _total`);
    const series = new Map<string, { labels: TLabels; value: number }>();
    const metric: TCounter = {
      name,
      help,
      kind: "counter",
      labelNames,
      inc: (labels = {}, by = 1) => {
        if (!(by >= 0)) throw new Error(`counter ${name} can only go up (got ${by})`);
        const key = keyOf(metric, labels);
        const s = series.get(key) ?? { labels: { ...labels }, value: 0 };
        s.value += by;
        series.set(key, s);
      },
      get: (labels = {}) => series.get(keyOf(metric, labels))?.value ?? 0,
    };
    return register(metric, () => [...series.values()].map((s) => `${name}${formatLabels(s.labels)} ${formatSampleValue(s.value)}`));
  };

  const gauge = (name: string, help: string, labelNames: readonly string[] = []): TGauge => {
    checkNames(name, labelNames);
    const series = new Map<string, { labels: TLabels; value: number }>();
    const metric: TGauge = {
      name,
      help,
      kind: "gauge",
      labelNames,
      set: (value, labels = {}) => void series.set(keyOf(metric, labels), { labels: { ...labels }, value }),
      get: (labels = {}) => series.get(keyOf(metric, labels))?.value ?? 0,
      reset: () => series.clear(),
    };
    return register(metric, () => [...series.values()].map((s) => `${name}${formatLabels(s.labels)} ${formatSampleValue(s.value)}`));
  };

  const histogram = (name: string, help: string, buckets: readonly number[], labelNames: readonly string[] = []): THistogram => {
    checkNames(name, labelNames);
    const bounds = [...buckets].sort((a, b) => a - b);
    if (bounds.length === 0 || new Set(bounds).size !== bounds.length) throw new Error(`histogram ${name} needs distinct buckets`);
    const series = new Map<string, { labels: TLabels; counts: number[]; count: number; sum: number }>();
    const metric: THistogram = {
      name,
      help,
      kind: "histogram",
      labelNames,
      buckets: bounds,
      observe: (value, labels = {}) => {
        const key = keyOf(metric, labels);
        const s = series.get(key) ?? { labels: { ...labels }, counts: bounds.map(() => 0), count: 0, sum: 0 };
        // Buckets are stored non-cumulative and summed at render time.
        const i = bounds.findIndex((b) => value <= b);
        if (i !== -1) s.counts[i]!++;
        s.count++;
        s.sum += value;
        series.set(key, s);
      },
      get: (labels = {}) => {
        const s = series.get(keyOf(metric, labels));
        return { count: s?.count ?? 0, sum: s?.sum ?? 0 };
      },
    };
    return register(metric, () => {
      const lines: string[] = [];
      for (const s of series.values()) {
        let cumulative = 0;
        bounds.forEach((b, i) => {
          cumulative += s.counts[i]!;
          lines.push(`${name}_bucket${formatLabels(s.labels, ["le", formatSampleValue(b)])} ${cumulative}`);
        });
        lines.push(`${name}_bucket${formatLabels(s.labels, ["le", "+Inf"])} ${s.count}`);
        lines.push(`${name}_sum${formatLabels(s.labels)} ${formatSampleValue(s.sum)}`);
        lines.push(`${name}_count${formatLabels(s.labels)} ${s.count}`);
      }
      return lines;
    });
  };

  const render = (): string => {
    const out: string[] = [];
    for (const { metric, render: renderSeries } of metrics.values()) {
      out.push(`# HELP ${metric.name} ${escapeHelp(metric.help)}`);
      out.push(`# TYPE ${metric.name} ${metric.kind}`);
      out.push(...renderSeries());
    }
    return `${out.join("\n")}\n`;
  };

  return { counter, gauge, histogram, render };
}

/** One parsed sample line (tests and the bench read metrics back with this). */
export type TSample = { name: string; labels: Record<string, string>; value: number };

/** Parses the sample lines of a text exposition (comments skipped). Strict enough to catch malformed output. */
export function parsePrometheusText(text: string): TSample[] {
  const samples: TSample[] = [];
  for (const line of text.split("\n")) {
    if (line === "" || line.startsWith("#")) continue;
    const m = /^([a-zA-Z_:][a-zA-Z0-9_:]*)(?:\{(.*)\})? (\S+)$/.exec(line);
    if (!m) throw new Error(`malformed sample line: ${line}`);
    const labels: Record<string, string> = {};
    if (m[2]) {
      const re = /([a-zA-Z_][a-zA-Z0-9_]*)="((?:[^"\\]|\\.)*)"(,|$)/gy;
      let consumed = 0;
      for (let lm = re.exec(m[2]); lm; lm = re.exec(m[2])) {
        labels[lm[1]!] = lm[2]!.replace(/\\n/g, "\n").replace(/\\"/g, '"').replace(/\\\\/g, "\\");
        consumed = re.lastIndex;
        if (lm[3] === "") break;
      }
      if (consumed !== m[2].length) throw new Error(`malformed labels: ${line}`);
    }
    const raw = m[3]!;
    const value = raw === "+Inf" ? Infinity : raw === "-Inf" ? -Infinity : Number(raw);
    if (Number.isNaN(value) && raw !== "NaN") throw new Error(`malformed value: ${line}`);
    samples.push({ name: m[1]!, labels, value });
  }
  return samples;
}
