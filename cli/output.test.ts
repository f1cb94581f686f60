import { describe, expect, it } from "vitest";
import { formatBytes, formatDurationSeconds, formatTable } from "./output";

describe("formatTable", () => {
  it("aligns columns, right-aligns numbers and keeps cells on one line", () => {
    const rows = [
      { id: "m1", name: "silero vad", size: 1_807_524 },
      { id: "model-2", name: "multi\nline", size: 12 },
    ];
    const text = formatTable(rows, [
      { header: "ID", value: (r) => r.id },
      { header: "SIZE", value: (r) => formatBytes(r.size), align: "right" },
      { header: "NAME", value: (r) => r.name },
    ]);
    expect(text).toBe(["ID           SIZE  NAME", "m1       1.72 MiB  silero vad", "model-2      12 B  multi line", ""].join("\n"));
  });

  it("prints just the header for no rows", () => {
    expect(formatTable([], [{ header: "ID", value: () => "" }])).toBe("ID\n");
  });
});

describe("formatBytes / formatDurationSeconds", () => {
  it("uses binary units with 3 significant digits", () => {
    expect(formatBytes(0)).toBe("0 B");
    expect(formatBytes(1023)).toBe("1023 B");
    expect(formatBytes(1536)).toBe("1.50 KiB");
    expect(formatBytes(20 * 1024 ** 3)).toBe("20.0 GiB");
    expect(formatBytes(-1)).toBe("?");
  });
  it("formats durations", () => {
    expect(formatDurationSeconds(4.4)).toBe("4s");
    expect(formatDurationSeconds(75)).toBe("1m15s");
    expect(formatDurationSeconds(3725)).toBe("1h02m");
    expect(formatDurationSeconds(Infinity)).toBe("?");
  });
});
