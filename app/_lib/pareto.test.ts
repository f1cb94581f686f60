import { describe, expect, it } from "vitest";
import { dominates, findParetoFront, type TTradeoffPoint } from "./pareto";

const p = (id: string, sizeBytes: number, latencyMs: number, fidelity: number): TTradeoffPoint => ({ id, sizeBytes, latencyMs, fidelity });

describe("findParetoFront", () => {
  it("keeps the trade-offs and drops jobs beaten on every axis", () => {
    const points = [
      p("original", 100, 10, 1),
      p("int8", 25, 6, 0.99),
      p("int8-worse", 26, 7, 0.98), // beaten by int8 on all three
      p("int4", 14, 9, 0.95),
      p("prune-bad", 100, 12, 0.9), // beaten by the original
    ];
    expect([...findParetoFront(points)].sort()).toEqual(["int4", "int8", "original"]);
  });

  it("treats equal points as non-dominating and a strict improvement on one axis as dominating", () => {
    expect(dominates(p("a", 1, 1, 1), p("b", 1, 1, 1))).toBe(false);
    expect(dominates(p("a", 1, 1, 0.99), p("b", 1, 1, 0.98))).toBe(true);
    expect([...findParetoFront([p("a", 1, 1, 1), p("b", 1, 1, 1)])].sort()).toEqual(["a", "b"]);
  });

  it("returns an empty front for no points", () => {
    expect(findParetoFront([]).size).toBe(0);
  });
});
