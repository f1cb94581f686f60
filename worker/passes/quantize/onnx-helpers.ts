import { DTYPE } from "../../onnx/dtypes";
/**
 * Small model-editing helpers the quantization passes share: element types, tensor read/write, attributes,
 * opsets, unique names and a copy-on-write model clone. Local to the passes because they need float16 and
 * 4-bit element handling and a clone that never copies weight bytes.
 */
import {
  createAttribute,
  createEmptyTensorProto,
  createNodeProto,
  type TAttributeProto,
  type TGraphProto,
  type TModelProto,
  type TNodeProto,
  type TTensorProto,
} from "../../onnx/onnx-proto";
import { convertFloat16ArrayToFloat32, convertFloat32ArrayToFloat16 } from "../fp16/half";

/** ONNX TensorProto.DataType ids: the engine has one table, in worker/onnx/dtypes.ts. */
export { DTYPE };

/** The Microsoft contrib-op domain (MatMulNBits, DynamicQuantizeMatMul). */
export const MS_DOMAIN = "com.microsoft";

/** Copies bytes into a fresh, aligned buffer (rawData views can start at any offset of the model file). */
function copyAligned(bytes: Uint8Array): ArrayBuffer {
  const buf = new ArrayBuffer(bytes.byteLength);
  new Uint8Array(buf).set(bytes);
  return buf;
}

function countElements(dims: readonly number[]): number {
  let n = 1;
  for (const d of dims) n *= d;
  return n;
}

/** Number of elements of a tensor from its dims. */
export function getElementCount(t: TTensorProto): number {
  return countElements(t.dims);
}

/** Reads a float/float16/bfloat16/double tensor as float32 values. Throws for other types and external data. */
export function readFloatTensor(t: TTensorProto): Float32Array {
  const n = getElementCount(t);
  const raw = t.rawData;
  if (t.dataLocation === 1 && !raw) throw new Error(`tensor ${t.name} still points at external data`);
  switch (t.dataType) {
    case DTYPE.FLOAT:
      if (raw && raw.byteLength) return new Float32Array(copyAligned(raw));
      return t.floatData ? Float32Array.from(t.floatData) : new Float32Array(n);
    case DTYPE.DOUBLE:
      if (raw && raw.byteLength) return Float32Array.from(new Float64Array(copyAligned(raw)));
      return Float32Array.from(t.doubleData ?? new Float64Array(n));
    case DTYPE.FLOAT16: {
      // float16 without raw_data is stored one value per int32_data entry (its bit pattern).
      const bits = raw && raw.byteLength ? new Uint16Array(copyAligned(raw)) : Uint16Array.from(t.int32Data ?? new Int32Array(n));
      return convertFloat16ArrayToFloat32(bits);
    }
    case DTYPE.BFLOAT16: {
      const bits = raw && raw.byteLength ? new Uint16Array(copyAligned(raw)) : Uint16Array.from(t.int32Data ?? new Int32Array(n));
      const u = new Uint32Array(bits.length);
      for (let i = 0; i < bits.length; i++) u[i] = bits[i] << 16;
      return new Float32Array(u.buffer);
    }
    default:
      throw new Error(`tensor ${t.name} has element type ${t.dataType}, not a float type`);
  }
}

/** Reads an integer tensor (int8/uint8/int16/int32/int64/...) as JS numbers. */
export function readIntTensor(t: TTensorProto): number[] {
  const raw = t.rawData && t.rawData.byteLength ? copyAligned(t.rawData) : undefined;
  switch (t.dataType) {
    case DTYPE.INT64:
      return Array.from(raw ? new BigInt64Array(raw) : (t.int64Data ?? []), Number);
    case DTYPE.UINT64:
      return Array.from(raw ? new BigUint64Array(raw) : (t.uint64Data ?? []), Number);
    case DTYPE.INT32:
      return Array.from(raw ? new Int32Array(raw) : (t.int32Data ?? []));
    case DTYPE.INT8:
      return Array.from(raw ? new Int8Array(raw) : (t.int32Data ?? []));
    case DTYPE.UINT8:
    case DTYPE.BOOL:
      return Array.from(raw ? new Uint8Array(raw) : (t.int32Data ?? []));
    case DTYPE.INT16:
      return Array.from(raw ? new Int16Array(raw) : (t.int32Data ?? []));
    case DTYPE.UINT16:
      return Array.from(raw ? new Uint16Array(raw) : (t.int32Data ?? []));
    default:
      throw new Error(`tensor ${t.name} has element type ${t.dataType}, not an integer type`);
  }
}

type TTensorData = Float32Array | Uint16Array | Int8Array | Uint8Array | Int32Array | BigInt64Array | Float64Array;

/** Builds an initializer-style tensor with raw_data from a typed array (little-endian, like every ONNX writer). */
export function createTensor(name: string, dataType: number, dims: readonly number[], data: TTensorData): TTensorProto {
  const t = createEmptyTensorProto(name);
  t.dims = [...dims];
  t.dataType = dataType;
  t.rawData = new Uint8Array(data.buffer, data.byteOffset, data.byteLength);
  return t;
}

/** float32 tensor. */
export function createFloatTensor(name: string, dims: readonly number[], values: Float32Array): TTensorProto {
  return createTensor(name, DTYPE.FLOAT, dims, values);
}

/** float16 tensor from float32 values (rounded to nearest even). */
export function createFloat16Tensor(name: string, dims: readonly number[], values: Float32Array): TTensorProto {
  return createTensor(name, DTYPE.FLOAT16, dims, convertFloat32ArrayToFloat16(values));
}

/** int64 tensor (shapes, axes). */
export function createInt64Tensor(name: string, dims: readonly number[], values: readonly number[]): TTensorProto {
  return createTensor(name, DTYPE.INT64, dims, BigInt64Array.from(values.map((v) => BigInt(v))));
}

/** Finds an attribute by name. */
export function findAttribute(node: TNodeProto, name: string): TAttributeProto | undefined {
  return node.attribute.find((a) => a.name === name);
}

/** Integer attribute, or `fallback`. */
export function getIntAttribute(node: TNodeProto, name: string, fallback: number): number {
  const a = findAttribute(node, name);
  return a?.i !== undefined ? Number(a.i) : fallback;
}

/** Float attribute, or `fallback`. */
export function getFloatAttribute(node: TNodeProto, name: string, fallback: number): number {
  const a = findAttribute(node, name);
  return a?.f !== undefined ? a.f : fallback;
}

/** Integer-list attribute, or undefined. */
export function getIntsAttribute(node: TNodeProto, name: string): number[] | undefined {
  const a = findAttribute(node, name);
  return a ? a.ints.map(Number) : undefined;
}

/** String attribute, or `fallback`. */
export function getStringAttribute(node: TNodeProto, name: string, fallback: string): string {
  const a = findAttribute(node, name);
  return a?.s ? new TextDecoder().decode(a.s) : fallback;
}

/** Sets (replaces) an attribute. */
export function setAttribute(node: TNodeProto, attr: TAttributeProto): void {
  node.attribute = node.attribute.filter((a) => a.name !== attr.name);
  node.attribute.push(attr);
}

export { createAttribute, createNodeProto };

/** Version of the default ONNX opset ("" or "ai.onnx"). */
export function getDefaultOpset(model: TModelProto): number {
  const o = model.opsetImport.find((x) => !x.domain || x.domain === "ai.onnx");
  return o?.version ?? 0;
}

/** Makes sure the model imports `domain` (at least `version`). */
export function ensureOpsetImport(model: TModelProto, domain: string, version: number): void {
  const o = model.opsetImport.find((x) => (x.domain ?? "") === domain || (domain === "" && x.domain === "ai.onnx"));
  if (!o) model.opsetImport.push({ domain, version });
  else if ((o.version ?? 0) < version) o.version = version;
}

/**
 * Clones a model's structure (graphs, nodes, attributes, tensor records) but shares typed arrays: passes replace
 * weight arrays, they never write into them, so the caller's model stays untouched without copying its bytes.
 * (structuredClone would copy each view's whole underlying file buffer.)
 */
export function cloneModel(model: TModelProto): TModelProto {
  return cloneValue(model) as TModelProto;
}

function cloneValue(v: unknown): unknown {
  if (v === null || typeof v !== "object") return v;
  if (ArrayBuffer.isView(v)) return v;
  if (Array.isArray(v)) return v.map(cloneValue);
  const out: Record<string, unknown> = {};
  for (const [k, x] of Object.entries(v)) out[k] = cloneValue(x);
  return out;
}

/** Calls `fn` for the main graph and every nested subgraph (If/Loop/Scan bodies), parents first. */
export function forEachGraph(graph: TGraphProto, fn: (g: TGraphProto, depth: number) => void, depth = 0): void {
  fn(graph, depth);
  for (const n of graph.node) {
    for (const a of n.attribute) {
      if (a.g) forEachGraph(a.g, fn, depth + 1);
      for (const g of a.graphs) forEachGraph(g, fn, depth + 1);
    }
  }
}

/** Generates names that collide with nothing in the model (values, nodes, initializers, subgraphs included). */
export function createNameFactory(model: TModelProto): (base: string) => string {
  const used = new Set<string>();
  forEachGraph(model.graph!, (g) => {
    for (const n of g.node) {
      if (n.name) used.add(n.name);
      for (const x of n.input) used.add(x);
      for (const x of n.output) used.add(x);
    }
    for (const t of g.initializer) if (t.name) used.add(t.name);
    for (const v of [...g.input, ...g.output, ...g.valueInfo]) if (v.name) used.add(v.name);
  });
  return (base: string) => {
    let name = base;
    for (let i = 1; used.has(name); i++) name = `${base}_${i}`;
    used.add(name);
    return name;
  };
}

/** Read-only indexes over one graph level: initializers by name, producer and consumers of each value. */
export type TGraphIndex = {
  initializers: Map<string, TTensorProto>;
  producer: Map<string, TNodeProto>;
  consumers: Map<string, TNodeProto[]>;
  graphOutputs: Set<string>;
};

/** Builds the index. Subgraph nodes that read an outer value count as consumers of it (through their If/Loop node). */
export function indexGraph(graph: TGraphProto): TGraphIndex {
  const initializers = new Map(graph.initializer.map((t) => [t.name ?? "", t]));
  const producer = new Map<string, TNodeProto>();
  const consumers = new Map<string, TNodeProto[]>();
  const addConsumer = (name: string, n: TNodeProto) => {
    if (!name) return;
    const list = consumers.get(name);
    if (list) {
      if (!list.includes(n)) list.push(n);
    } else consumers.set(name, [n]);
  };
  for (const n of graph.node) {
    for (const o of n.output) if (o) producer.set(o, n);
    for (const i of n.input) addConsumer(i, n);
    for (const a of n.attribute) {
      for (const g of [...(a.g ? [a.g] : []), ...a.graphs]) {
        forEachGraph(g, (sg) => {
          for (const sn of sg.node) for (const i of sn.input) addConsumer(i, n);
        });
      }
    }
  }
  return { initializers, producer, consumers, graphOutputs: new Set(graph.output.map((o) => o.name ?? "")) };
}

/** Tensor element type of a graph input/output/value_info, when declared. */
export function findValueElemType(graph: TGraphProto, name: string): number | undefined {
  for (const v of [...graph.input, ...graph.output, ...graph.valueInfo]) {
    if (v.name === name) return v.type?.tensorType?.elemType;
  }
  return undefined;
}
