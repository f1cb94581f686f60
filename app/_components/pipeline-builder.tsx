"use client";

import { useId } from "react";
import { createStepDraft, type TFieldErrors, type TOptionField, type TPassForm, type TStepDraft } from "../_lib/pipeline-fields";

/**
 * Step-by-step pipeline editor: one card per step with a field per option (generated from the contract's zod
 * schemas), reorder/remove buttons and an "Add step" control. Errors from validation are shown next to their field.
 */
export function PipelineBuilder({
  forms,
  drafts,
  errors,
  onChange,
}: {
  forms: TPassForm[];
  drafts: TStepDraft[];
  errors: TFieldErrors;
  onChange: (next: TStepDraft[]) => void;
}) {
  const addId = useId();
  const update = (index: number, draft: TStepDraft) => onChange(drafts.map((d, i) => (i === index ? draft : d)));
  const move = (index: number, by: -1 | 1) => {
    const next = [...drafts];
    const [item] = next.splice(index, 1);
    next.splice(index + by, 0, item);
    onChange(next);
  };
  const addStep = (pass: string) => {
    const form = forms.find((f) => f.pass === pass);
    if (form) onChange([...drafts, createStepDraft(form)]);
  };

  return (
    <div className="stack" data-testid="pipeline-builder">
      {drafts.length === 0 ? <p className="muted">No steps yet: add the first one below.</p> : null}
      {drafts.map((draft, index) => {
        const form = forms.find((f) => f.pass === draft.pass);
        return (
          <fieldset className="step-card" key={`${index}-${draft.pass}`} data-testid="pipeline-step">
            <legend>
              Step {index + 1}: <span className="mono">{draft.pass}</span>
            </legend>
            <div className="step-card__fields">
              {form?.fields.map((field) => (
                <OptionField
                  key={field.name}
                  stepIndex={index}
                  field={field}
                  value={draft.values[field.name]}
                  error={errors[`${index}.${field.name}`]}
                  onChange={(v) => update(index, { ...draft, values: { ...draft.values, [field.name]: v } })}
                />
              ))}
            </div>
            <div className="actions">
              <button type="button" className="button button--ghost" onClick={() => move(index, -1)} disabled={index === 0} aria-label={`Move step ${index + 1} up`}>
                ↑ Up
              </button>
              <button type="button" className="button button--ghost" onClick={() => move(index, 1)} disabled={index === drafts.length - 1} aria-label={`Move step ${index + 1} down`}>
                ↓ Down
              </button>
              <button type="button" className="button button--ghost" onClick={() => onChange(drafts.filter((_, i) => i !== index))} aria-label={`Remove step ${index + 1}`}>
                Remove
              </button>
            </div>
          </fieldset>
        );
      })}
      <div className="field field--inline">
        <label htmlFor={addId}>Add a step</label>
        <div className="actions">
          <select id={addId} className="select" defaultValue="" onChange={(e) => {
            if (e.target.value) addStep(e.target.value);
            e.target.value = "";
          }} data-testid="add-step">
            <option value="">Choose a pass…</option>
            {forms.map((f) => (
              <option key={f.pass} value={f.pass}>
                {f.pass}
              </option>
            ))}
          </select>
        </div>
      </div>
    </div>
  );
}

function OptionField({
  stepIndex,
  field,
  value,
  error,
  onChange,
}: {
  stepIndex: number;
  field: TOptionField;
  value: string | boolean | undefined;
  error?: string;
  onChange: (v: string | boolean) => void;
}) {
  const id = useId();
  const errorId = `${id}-error`;
  const hintId = `${id}-hint`;
  const described = [hint(field) ? hintId : "", error ? errorId : ""].filter(Boolean).join(" ") || undefined;
  const common = { id, "aria-invalid": error ? true : undefined, "aria-describedby": described, "data-step": stepIndex, "data-option": field.name } as const;

  if (field.kind === "boolean") {
    return (
      <div className="field field--check">
        <label htmlFor={id}>
          <input type="checkbox" {...common} checked={Boolean(value)} onChange={(e) => onChange(e.target.checked)} /> {field.label}
        </label>
        {error ? <span className="field__error" id={errorId} role="alert">{error}</span> : null}
      </div>
    );
  }
  return (
    <div className="field">
      <label htmlFor={id}>{field.label}</label>
      {field.kind === "enum" ? (
        <select className="select" {...common} value={String(value ?? "")} onChange={(e) => onChange(e.target.value)}>
          {field.defaultValue === undefined ? <option value="">(not set)</option> : null}
          {field.choices.map((c) => (
            <option key={String(c)} value={String(c)}>
              {String(c)}
            </option>
          ))}
        </select>
      ) : (
        <input
          className="input"
          {...common}
          type="text"
          inputMode={field.kind === "number" ? "decimal" : undefined}
          value={String(value ?? "")}
          onChange={(e) => onChange(e.target.value)}
        />
      )}
      {hint(field) ? <span className="field__hint" id={hintId}>{hint(field)}</span> : null}
      {error ? <span className="field__error" id={errorId} role="alert">{error}</span> : null}
    </div>
  );
}

function hint(field: TOptionField): string | undefined {
  if (field.kind === "number") {
    const range = field.min !== undefined && field.max !== undefined ? `${field.min} to ${field.max}` : field.min !== undefined ? `at least ${field.min}` : field.max !== undefined ? `at most ${field.max}` : "";
    return [field.integer ? "whole number" : "number", range, field.optional ? "optional" : ""].filter(Boolean).join(", ");
  }
  if (field.kind === "list") return `comma-separated${field.optional ? ", optional" : ""}`;
  return undefined;
}
