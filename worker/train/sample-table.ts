/**
 * A dataset held in memory as one row-major tensor per feed name (model inputs and loss targets share the row
 * index), so a shuffled batch is gathered by copying rows.
 */
import { allocateTypedArray, type THostDtype, type THostTensor, type TTypedArray } from "../data/host-tensor";

export type TSampleTable = {
  count: number;
  columns: Record<string, { dtype: THostDtype; sampleDims: number[]; data: TTypedArray }>;
};

/** Builds a table from batches whose tensors all have the rows on axis 0. */
export function createSampleTable(batches: readonly Record<string, THostTensor>[]): TSampleTable {
  const first = batches[0];
  if (!first) return { count: 0, columns: {} };
  const count = batches.reduce((n, b) => n + Object.values(b)[0]!.dims[0]!, 0);
  const columns: TSampleTable["columns"] = {};
  for (const [name, t] of Object.entries(first)) {
    const sampleDims = t.dims.slice(1);
    const rowSize = sampleDims.reduce((a, b) => a * b, 1);
    const data = allocateTypedArray(t.dtype, count * rowSize);
    let offset = 0;
    for (const b of batches) {
      const part = b[name]!;
      (data as Float32Array).set(part.data as Float32Array, offset);
      offset += part.data.length;
    }
    columns[name] = { dtype: t.dtype, sampleDims, data };
  }
  return { count, columns };
}

/** The rows `indices` of every column, as one batch of feeds. */
export function gatherRows(table: TSampleTable, indices: ArrayLike<number>): Record<string, THostTensor> {
  const out: Record<string, THostTensor> = {};
  for (const [name, c] of Object.entries(table.columns)) {
    const rowSize = c.sampleDims.reduce((a, b) => a * b, 1);
    const data = allocateTypedArray(c.dtype, indices.length * rowSize);
    for (let r = 0; r < indices.length; r++) {
      const start = indices[r]! * rowSize;
      (data as Float32Array).set((c.data as Float32Array).subarray(start, start + rowSize), r * rowSize);
    }
    out[name] = { dtype: c.dtype, dims: [indices.length, ...c.sampleDims], data };
  }
  return out;
}

/** Rows [start, start+count) as a table (a split; shares no memory with the source). */
export function sliceTable(table: TSampleTable, indices: ArrayLike<number>): TSampleTable {
  const feeds = gatherRows(table, indices);
  const columns: TSampleTable["columns"] = {};
  for (const [name, t] of Object.entries(feeds)) columns[name] = { dtype: t.dtype, sampleDims: t.dims.slice(1), data: t.data };
  return { count: indices.length, columns };
}
