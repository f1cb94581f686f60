import { formatShape } from "../_lib/format";
import type { TModelSummaryView } from "../_lib/model-summary";

/** Inputs and outputs with element type and shape. Shared by the model page and job results. */
export function TensorTable({ inputs, outputs }: { inputs: TModelSummaryView["inputs"]; outputs: TModelSummaryView["outputs"] }) {
  const rows = [...inputs.map((t) => ({ ...t, kind: "input" })), ...outputs.map((t) => ({ ...t, kind: "output" }))];
  return (
    <div className="table-wrap">
      <table className="table table--stack">
        <thead>
          <tr>
            <th scope="col">Kind</th>
            <th scope="col">Name</th>
            <th scope="col">Type</th>
            <th scope="col">Shape</th>
          </tr>
        </thead>
        <tbody>
          {rows.map((t) => (
            <tr key={`${t.kind}-${t.name}`}>
              <td data-label="Kind">{t.kind}</td>
              <td data-label="Name" className="mono wrap">
                {t.name}
              </td>
              <td data-label="Type" className="mono">
                {t.elemType ?? "—"}
              </td>
              <td data-label="Shape" className="mono">
                {formatShape(t.shape)}
              </td>
            </tr>
          ))}
        </tbody>
      </table>
    </div>
  );
}
