import { z } from "zod";
import { validatePipeline, ZPipelineStep, type TPassName, type TPipelineSpec } from "../../contracts/pipeline";

/**
 * The step-by-step pipeline builder's model: one form field per pass option, generated from the zod schemas in
 * contracts/pipeline.ts (via zod 4's JSON Schema export), so a pass or option added there shows up here unchanged.
 */

export type TOptionField =
  | { name: string; label: string; kind: "boolean"; defaultValue: boolean }
  | { name: string; label: string; kind: "enum"; choices: Array<string | number>; defaultValue?: string | number }
  | { name: string; label: string; kind: "number"; integer: boolean; min?: number; max?: number; optional: boolean; defaultValue?: number }
  | { name: string; label: string; kind: "list"; optional: boolean; defaultValue?: string[] };

export type TPassForm = { pass: TPassName; fields: TOptionField[] };

type TJsonSchema = {
  type?: string | string[];
  const?: unknown;
  enum?: unknown[];
  anyOf?: TJsonSchema[];
  oneOf?: TJsonSchema[];
  properties?: Record<string, TJsonSchema>;
  required?: string[];
  items?: TJsonSchema;
  default?: unknown;
  minimum?: number;
  maximum?: number;
  exclusiveMinimum?: number;
  exclusiveMaximum?: number;
};

/** JSON Schema's "no bound" for safe integers; shown as no limit rather than 9007199254740991. */
const SAFE_LIMIT = Number.MAX_SAFE_INTEGER;

/** "latencyRuns" → "Latency runs"; keeps acronyms readable ("opTypesToExclude" → "Op types to exclude"). */
export function labelFromName(name: string): string {
  const words = name.replace(/([a-z0-9])([A-Z])/g, "$1 $2").toLowerCase();
  return words.charAt(0).toUpperCase() + words.slice(1);
}

function toField(name: string, schema: TJsonSchema, required: boolean): TOptionField | null {
  const label = labelFromName(name);
  const consts = (schema.anyOf ?? schema.oneOf)?.map((s) => s.const).filter((c) => c !== undefined);
  if (schema.enum || (consts && consts.length > 0)) {
    const choices = (schema.enum ?? consts ?? []).filter((c): c is string | number => typeof c === "string" || typeof c === "number");
    return { name, label, kind: "enum", choices, defaultValue: schema.default as string | number | undefined };
  }
  if (schema.type === "boolean") return { name, label, kind: "boolean", defaultValue: Boolean(schema.default) };
  if (schema.type === "integer" || schema.type === "number") {
    const min = schema.minimum ?? schema.exclusiveMinimum;
    const max = schema.maximum ?? schema.exclusiveMaximum;
    return {
      name,
      label,
      kind: "number",
      integer: schema.type === "integer",
      min: min !== undefined && Math.abs(min) < SAFE_LIMIT ? min : undefined,
      max: max !== undefined && Math.abs(max) < SAFE_LIMIT ? max : undefined,
      optional: !required && schema.default === undefined,
      defaultValue: typeof schema.default === "number" ? schema.default : undefined,
    };
  }
  if (schema.type === "array") {
    return { name, label, kind: "list", optional: !required && schema.default === undefined, defaultValue: schema.default as string[] | undefined };
  }
  return null;
}

/** One form per pass of the pipeline language, in the order contracts/pipeline.ts lists them. */
export function listPassForms(): TPassForm[] {
  const root = z.toJSONSchema(ZPipelineStep, { io: "input", unrepresentable: "any" }) as TJsonSchema;
  const variants = root.oneOf ?? root.anyOf ?? [];
  return variants.flatMap((variant) => {
    const pass = variant.properties?.pass?.const;
    if (typeof pass !== "string") return [];
    const options = variant.properties?.options;
    const required = new Set(options?.required ?? []);
    const fields = Object.entries(options?.properties ?? {})
      .map(([name, s]) => toField(name, s, required.has(name)))
      .filter((f): f is TOptionField => f !== null);
    return [{ pass: pass as TPassName, fields }];
  });
}

/** Form values of one step: what the user typed, as strings for numbers and lists so half-typed input survives. */
export type TStepDraft = { pass: TPassName; values: Record<string, string | boolean> };

/** A draft with every field at its default (lists as comma-separated text). */
export function createStepDraft(form: TPassForm): TStepDraft {
  return { pass: form.pass, values: Object.fromEntries(form.fields.map((f) => [f.name, defaultDraftValue(f)])) };
}

function defaultDraftValue(field: TOptionField): string | boolean {
  switch (field.kind) {
    case "boolean":
      return field.defaultValue;
    case "enum":
      return field.defaultValue === undefined ? "" : String(field.defaultValue);
    case "number":
      return field.defaultValue === undefined ? "" : String(field.defaultValue);
    case "list":
      return (field.defaultValue ?? []).join(", ");
  }
}

/** A draft filled from an existing step (rerun with changed options); options the form does not know are dropped. */
export function draftFromStep(form: TPassForm, options: Record<string, unknown> | undefined): TStepDraft {
  const draft = createStepDraft(form);
  for (const field of form.fields) {
    const v = options?.[field.name];
    if (v === undefined) continue;
    if (field.kind === "boolean") draft.values[field.name] = Boolean(v);
    else if (field.kind === "list" && Array.isArray(v)) draft.values[field.name] = v.join(", ");
    else draft.values[field.name] = String(v);
  }
  return draft;
}

/** Turns drafts into a pipeline value (not yet validated): numbers parsed, lists split, empty optionals left out. */
export function buildPipelineValue(drafts: ReadonlyArray<TStepDraft>, forms: ReadonlyArray<TPassForm>): { steps: unknown[] } {
  return {
    steps: drafts.map((draft) => {
      const form = forms.find((f) => f.pass === draft.pass);
      const options: Record<string, unknown> = {};
      for (const field of form?.fields ?? []) {
        const raw = draft.values[field.name];
        if (field.kind === "boolean") options[field.name] = Boolean(raw);
        else if (field.kind === "enum") {
          if (raw === "" || raw === undefined) continue;
          const match = field.choices.find((c) => String(c) === raw);
          options[field.name] = match ?? raw;
        } else if (field.kind === "number") {
          const text = String(raw ?? "").trim();
          if (text === "") continue;
          // Left as text when not a number, so validation names the option instead of silently dropping it.
          options[field.name] = Number.isFinite(Number(text)) ? Number(text) : text;
        } else {
          const text = String(raw ?? "").trim();
          if (text === "" && field.optional) continue;
          options[field.name] = text === "" ? [] : text.split(",").map((s) => s.trim()).filter(Boolean);
        }
      }
      return { pass: draft.pass, options };
    }),
  };
}

/** Validation errors keyed by "stepIndex.option" (or "pipeline"), for showing each next to its field. */
export type TFieldErrors = Record<string, string>;

/** Validates drafts with the contract's schema; errors are keyed to the field that caused them. */
export function validateDrafts(
  drafts: ReadonlyArray<TStepDraft>,
  forms: ReadonlyArray<TPassForm>,
): { ok: true; pipeline: TPipelineSpec } | { ok: false; errors: TFieldErrors; message: string } {
  const value = buildPipelineValue(drafts, forms);
  const result = validatePipeline(value);
  if (result.ok) return result;
  const parsed = z.object({ steps: z.array(ZPipelineStep).min(1).max(16) }).safeParse(value);
  const errors: TFieldErrors = {};
  if (!parsed.success) {
    for (const issue of parsed.error.issues) {
      const [root, index, section, option] = issue.path;
      const key = root === "steps" && typeof index === "number" && section === "options" && option !== undefined ? `${index}.${String(option)}` : "pipeline";
      errors[key] ??= issue.message;
    }
  }
  return { ok: false, errors, message: result.error };
}
