import { expect, test } from "vitest";
import { createRegistry, escapeLabelValue, parsePrometheusText } from "./prometheus-text";

test("counters, gauges and histograms render in the text exposition format and parse back", () => {
  const r = createRegistry();
  const c = r.counter("condense_things_total", "Things.", ["kind"]);
  c.inc({ kind: "a" });
  c.inc({ kind: "a" }, 2);
  c.inc({ kind: 'we"ird\\\n' });
  r.gauge("condense_depth", "Depth.").set(7);
  const h = r.histogram("condense_job_duration_seconds", "Durations.", [1, 5, 10], ["pipeline"]);
  for (const v of [0.5, 1, 3, 7, 100]) h.observe(v, { pipeline: "analyze" });

  const text = r.render();
  expect(text).toContain("# HELP condense_things_total Things.\n# TYPE condense_things_total counter\n");
  expect(text).toContain("# TYPE condense_job_duration_seconds histogram\n");
  expect(text.endsWith("\n")).toBe(true);
  const samples = parsePrometheusText(text);
  const value = (name: string, labels: Record<string, string> = {}) =>
    samples.find((s) => s.name === name && JSON.stringify(s.labels) === JSON.stringify(labels))?.value;
  expect(value("condense_things_total", { kind: "a" })).toBe(3);
  expect(value("condense_things_total", { kind: 'we"ird\\\n' })).toBe(1);
  expect(value("condense_depth")).toBe(7);
  // Cumulative buckets: <=1 holds 0.5 and 1 (le is inclusive), <=5 adds 3, <=10 adds 7, +Inf adds 100.
  expect(value("condense_job_duration_seconds_bucket", { pipeline: "analyze", le: "1" })).toBe(2);
  expect(value("condense_job_duration_seconds_bucket", { pipeline: "analyze", le: "5" })).toBe(3);
  expect(value("condense_job_duration_seconds_bucket", { pipeline: "analyze", le: "10" })).toBe(4);
  expect(value("condense_job_duration_seconds_bucket", { pipeline: "analyze", le: "+Inf" })).toBe(5);
  expect(value("condense_job_duration_seconds_count", { pipeline: "analyze" })).toBe(5);
  expect(value("condense_job_duration_seconds_sum", { pipeline: "analyze" })).toBeCloseTo(111.5);
});

test("naming rules and label sets are enforced", () => {
  const r = createRegistry();
  expect(() => r.counter("condense_things", "no _total")).toThrow(/_total/);
  expect(() => r.gauge("bad name", "x")).toThrow(/invalid metric name/);
  expect(() => r.histogram("h_seconds", "x", [1], ["le"])).toThrow(/invalid label name/);
  const c = r.counter("condense_x_total", "x", ["a"]);
  expect(() => c.inc({ b: "1" })).toThrow(/no label "b"/);
  expect(() => c.inc({})).toThrow(/needs labels a/);
  expect(() => c.inc({ a: "1" }, -1)).toThrow(/only go up/);
  // Registering again returns the same metric, so module reloads do not duplicate families.
  expect(r.counter("condense_x_total", "x", ["a"])).toBe(c);
  expect(() => r.gauge("condense_x_total", "x")).toThrow(/already a counter/);
});

test("escaping and a strict parser", () => {
  expect(escapeLabelValue('a"b\\c\nd')).toBe('a\\"b\\\\c\\nd');
  expect(() => parsePrometheusText("metric{a=1} 2")).toThrow(/malformed/);
  expect(() => parsePrometheusText("metric 2 3 4")).toThrow(/malformed/);
  expect(parsePrometheusText('m{a="x",b="y"} +Inf')).toEqual([{ name: "m", labels: { a: "x", b: "y" }, value: Infinity }]);
});
