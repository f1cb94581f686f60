import { describe, expect, it } from "vitest";
import { createProgressBar, renderBar, renderProgressLine, renderProgressLogLine } from "./progress-bar";

const MiB = 1024 * 1024;

/** A writable that records what was written; `isTTY` and `columns` as a terminal would have them. */
function createSink(opts: { isTTY: boolean; columns?: number }) {
  const chunks: string[] = [];
  const stream = {
    isTTY: opts.isTTY,
    columns: opts.columns,
    write(chunk: string) {
      chunks.push(chunk);
      return true;
    },
  } as unknown as NodeJS.WritableStream & { isTTY?: boolean; columns?: number };
  return { stream, chunks, text: () => chunks.join("") };
}

describe("renderBar", () => {
  it("fills proportionally and stays inside its width", () => {
    expect(renderBar(0, 12)).toBe("[>         ]");
    expect(renderBar(0.5, 12)).toBe("[=====>    ]");
    expect(renderBar(1, 12)).toBe("[==========]");
    expect(renderBar(7, 12)).toBe("[==========]");
    expect(renderBar(Number.NaN, 12)).toBe("[>         ]");
    for (const f of [0, 0.13, 0.5, 0.99, 1]) expect(renderBar(f, 30)).toHaveLength(30);
  });
});

describe("renderProgressLine", () => {
  it("shows percent, bytes, speed and ETA", () => {
    const line = renderProgressLine({ label: "model.onnx", doneBytes: 45 * MiB, totalBytes: 100 * MiB, bytesPerSecond: 5 * MiB }, 100);
    expect(line).toMatch(/^model\.onnx \[=+>\s*\]  45%  45\.0 MiB \/ 100 MiB  5\.00 MiB\/s  ETA 11s$/);
    expect(line.length).toBeLessThanOrEqual(99);
  });

  it("fits narrow terminals by dropping the bar, never exceeding columns-1", () => {
    const s = { label: "a-rather-long-model-file-name.onnx", doneBytes: 1, totalBytes: 2 * MiB, bytesPerSecond: 1024 };
    for (const cols of [40, 60, 80, 120]) expect(renderProgressLine(s, cols).length).toBeLessThanOrEqual(cols - 1);
    expect(renderProgressLine(s, 60)).not.toContain("[");
    expect(renderProgressLine(s, 120)).toContain("[");
    // Long labels are shortened with an ellipsis.
    expect(renderProgressLine(s, 120).startsWith("a-rather-long-model-fil…")).toBe(true);
  });

  it("handles unknown totals and unknown speed", () => {
    expect(renderProgressLine({ label: "dl", doneBytes: 3 * MiB }, 80)).toBe("dl  3.00 MiB  -- B/s");
    expect(renderProgressLogLine({ label: "up", doneBytes: 0, totalBytes: 10 })).toBe("up: 0% (0 B / 10 B), -- B/s, ETA --");
  });
});

describe("createProgressBar", () => {
  it("redraws in place on a TTY, throttled, and ends with a summary line", () => {
    let t = 0;
    const sink = createSink({ isTTY: true, columns: 100 });
    const bar = createProgressBar({ label: "up", totalBytes: 10 * MiB, stream: sink.stream, now: () => t });
    for (let i = 1; i <= 10; i++) {
      t += 50; // 20 updates per second: only every other one may redraw at 100 ms
      bar.update(i * MiB);
    }
    const redraws = sink.chunks.filter((c) => c.startsWith("\r"));
    expect(redraws.length).toBe(5);
    expect(redraws.every((c) => c.endsWith("\x1b[K") && !c.includes("\n"))).toBe(true);
    // 10 MiB in 0.5 s
    bar.finish();
    bar.finish();
    expect(sink.chunks.at(-1)).toBe("\rup: done, 10.0 MiB in 1s, 20.0 MiB/s\x1b[K\n");
    expect(sink.text().split("\n").length).toBe(2);
  });

  it("prints occasional plain lines when not a TTY (CI logs)", () => {
    let t = 0;
    const sink = createSink({ isTTY: false });
    const bar = createProgressBar({ label: "upload m.onnx", totalBytes: 100 * MiB, stream: sink.stream, now: () => t, logIntervalMs: 5_000 });
    // 100 MiB at 5 MiB/s in 1 s steps: 20 s, so about one line per 5 s.
    for (let i = 1; i <= 20; i++) {
      t += 1_000;
      bar.update(i * 5 * MiB);
    }
    bar.finish();
    const lines = sink.text().trimEnd().split("\n");
    expect(sink.text()).not.toContain("\r");
    expect(sink.text()).not.toContain("\x1b");
    expect(lines[0]).toBe("upload m.onnx: started (100 MiB)");
    expect(lines.length).toBe(1 + 4 + 1);
    expect(lines[1]).toBe("upload m.onnx: 25% (25.0 MiB / 100 MiB), 5.00 MiB/s, ETA 15s");
    expect(lines.at(-1)).toBe("upload m.onnx: done, 100 MiB in 20s, 5.00 MiB/s");
  });

  it("measures speed over a recent window, so a stall shows", () => {
    let t = 0;
    const sink = createSink({ isTTY: false });
    const bar = createProgressBar({ label: "x", totalBytes: 1000 * MiB, stream: sink.stream, now: () => t, logIntervalMs: 1_000 });
    for (let i = 1; i <= 10; i++) {
      t += 1_000;
      bar.update(i * 10 * MiB); // 10 MiB/s for 10 s
    }
    for (let i = 1; i <= 10; i++) {
      t += 1_000;
      bar.update(100 * MiB); // then nothing for 10 s
    }
    const last = sink.text().trimEnd().split("\n").at(-1)!;
    expect(last).toMatch(/^x: 10% \(100 MiB \/ 1000 MiB\), (0 B\/s|-- B\/s), ETA --$/);
  });

  it("stop() ends the line without claiming completion", () => {
    const sink = createSink({ isTTY: true, columns: 80 });
    let t = 0;
    const bar = createProgressBar({ label: "dl", totalBytes: 100, stream: sink.stream, now: () => t });
    t = 500;
    bar.update(40);
    bar.stop();
    bar.finish();
    expect(sink.text()).not.toContain("done");
    expect(sink.text().endsWith("\n")).toBe(true);
  });
});
