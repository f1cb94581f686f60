import { describe, expect, it } from "vitest";
import { DTYPE } from "../../onnx/dtypes";
import { createShapesCnn } from "../../train/shapes-task";
import { createProgressThrottle, formatDistillStage, selectDistillStudent } from "./distill-pass";

describe("distill pass helpers", () => {
  it("formats the job page stage with step, loss and the latest held-out fidelity", () => {
    expect(formatDistillStage({ step: 119, totalSteps: 400, loss: 0.0123 })).toBe("step 120/400 · loss 0.0123");
    expect(formatDistillStage({ step: 119, totalSteps: 400, loss: 0.0000456 }, "eval cosine 0.9620")).toBe(
      "step 120/400 · loss 4.56e-5 · eval cosine 0.9620",
    );
  });

  it("throttles step reports to one per interval", () => {
    let t = 0;
    const ready = createProgressThrottle(250, () => t);
    const fired: number[] = [];
    for (t = 0; t <= 1000; t += 10) if (ready()) fired.push(t);
    expect(fired).toEqual([0, 250, 500, 750, 1000]);
  });

  it("uses an uploaded student with the teacher's interface, and rejects one without it", () => {
    const teacher = createShapesCnn({ size: 8, widths: [4, 4, 8] });
    const received = createShapesCnn({ size: 8, widths: [2, 2, 4] });
    const uploaded = createShapesCnn({ size: 8, widths: [3, 3, 6], seed: 9 });
    const chosen = selectDistillStudent(received, true, { model: uploaded, name: "small.onnx" }, teacher);
    expect(chosen.model).toBe(uploaded);
    expect(chosen.description).toBe('uploaded student "small.onnx"');
    expect(chosen.warnings[0]).toMatch(/steps before distill was not used/);

    const renamed = structuredClone(uploaded);
    renamed.graph!.input[0]!.name = "pixels";
    renamed.graph!.node[0]!.input[0] = "pixels";
    expect(() => selectDistillStudent(received, false, { model: renamed, name: "x.onnx" }, teacher)).toThrow(/student model's inputs \(pixels\) differ from the teacher's \(image\)/);

    const retyped = structuredClone(uploaded);
    retyped.graph!.input[0]!.type!.tensorType!.elemType = DTYPE.FLOAT16;
    expect(() => selectDistillStudent(received, false, { model: retyped, name: "x.onnx" }, teacher)).toThrow(/input "image" has element type 10, the teacher's has 1/);
  });

  it("falls back to the received model and warns when nothing shrank it", () => {
    const m = createShapesCnn({ size: 8, widths: [2, 2, 4] });
    expect(selectDistillStudent(m, true, undefined).warnings).toEqual([]);
    expect(selectDistillStudent(m, false, undefined).warnings[0]).toMatch(/teacher = student/);
  });
});
