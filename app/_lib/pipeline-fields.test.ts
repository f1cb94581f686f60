import { describe, expect, it } from "vitest";
import { buildPipelineValue, createStepDraft, draftFromStep, labelFromName, listPassForms, validateDrafts } from "./pipeline-fields";

describe("pipeline builder fields", () => {
  const forms = listPassForms();
  const formOf = (pass: string) => {
    const form = forms.find((f) => f.pass === pass);
    if (!form) throw new Error(`no form for ${pass}`);
    return form;
  };

  it("generates a form for every pass with typed fields and bounds from the contract", () => {
    expect(forms.map((f) => f.pass)).toContain("analyze");
    const latency = formOf("analyze").fields.find((f) => f.name === "latencyRuns");
    expect(latency).toEqual({ name: "latencyRuns", label: "Latency runs", kind: "number", integer: true, min: 1, max: 1000, optional: false, defaultValue: 20 });
  });

  it("builds a pipeline the contract accepts from default drafts of every pass", () => {
    const drafts = forms.map(createStepDraft);
    const result = validateDrafts(drafts, forms);
    expect(result.ok).toBe(true);
    if (result.ok) expect(result.pipeline.steps.map((s) => s.pass)).toEqual(forms.map((f) => f.pass));
  });

  it("keys an out-of-range option's error to its step and field", () => {
    const draft = createStepDraft(formOf("analyze"));
    draft.values.latencyRuns = "0";
    const other = createStepDraft(formOf("analyze"));
    other.values.warmupRuns = "abc";
    const result = validateDrafts([draft, other], forms);
    expect(result.ok).toBe(false);
    if (!result.ok) {
      expect(result.errors["0.latencyRuns"]).toMatch(/>=\s*1|too small/i);
      expect(result.errors["1.warmupRuns"]).toBeDefined();
      expect(result.message).toContain("steps[0].options.latencyRuns");
    }
  });

  it("round-trips an existing step's options (rerun) and splits list fields", () => {
    const form = forms.find((f) => f.fields.some((x) => x.kind === "list"));
    if (!form) return;
    const list = form.fields.find((x) => x.kind === "list")!;
    const draft = draftFromStep(form, { [list.name]: ["a", "b"] });
    expect(draft.values[list.name]).toBe("a, b");
    const value = buildPipelineValue([draft], forms).steps[0] as { options: Record<string, unknown> };
    expect(value.options[list.name]).toEqual(["a", "b"]);
  });

  it("labels camelCase names as words", () => {
    expect(labelFromName("opTypesToExclude")).toBe("Op types to exclude");
  });
});
