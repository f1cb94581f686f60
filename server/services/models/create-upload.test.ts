import { describe, expect, test } from "vitest";
import { choosePartBytes, formatBytes, MAX_UPLOAD_PARTS } from "./create-upload";

const MIB = 1024 * 1024;

describe("part sizing", () => {
  test("keeps the configured part size while the file fits in 10,000 parts", () => {
    expect(choosePartBytes(12 * MIB, 5 * MIB)).toBe(5 * MIB);
    expect(choosePartBytes(16 * MIB * MAX_UPLOAD_PARTS, 16 * MIB)).toBe(16 * MIB);
  });

  test("grows the part size (whole MiB) for huge files so no upload needs more than 10,000 parts", () => {
    const size = 200 * 1024 ** 3; // 200 GiB
    const part = choosePartBytes(size, 16 * MIB);
    expect(part % MIB).toBe(0);
    expect(Math.ceil(size / part)).toBeLessThanOrEqual(MAX_UPLOAD_PARTS);
  });

  test("formats sizes for messages", () => {
    expect(formatBytes(1000)).toBe("1000 bytes");
    expect(formatBytes(4 * MIB)).toBe("4 MiB");
    expect(formatBytes(20 * 1024 ** 3)).toBe("20 GiB");
    expect(formatBytes(1.5 * MIB)).toBe("1.5 MiB");
  });
});
