/**
 * Appends nodes and constants to a graph under unique names. Gradient rules and loss builders emit through it so
 * that every value they create is float32 and named apart from the forward graph's values.
 */
import { DTYPE, createTensor } from "../../onnx/dtypes";
import { ATTRIBUTE_TYPE, createAttribute, createNodeProto, type TAttributeProto, type TGraphProto, type TNodeProto } from "../../onnx/onnx-proto";

/** Attribute values a node may get: numbers are floats unless listed in the node's int attributes. */
export type TAttrValue = number | string | number[] | { ints: number[] } | { int: number };

export class GraphBuilder {
  readonly graph: TGraphProto;
  private readonly used: Set<string>;
  private counter = 0;
  /** Nodes emitted so far, in order (callers append them where they belong). */
  readonly emitted: TNodeProto[] = [];

  constructor(graph: TGraphProto, private readonly prefix: string) {
    this.graph = graph;
    this.used = new Set<string>();
    for (const n of graph.node) for (const o of n.output) this.used.add(o);
    for (const t of graph.initializer) this.used.add(t.name ?? "");
    for (const i of graph.input) this.used.add(i.name ?? "");
  }

  /** A value name not used anywhere in the graph yet. */
  createName(hint: string): string {
    let name: string;
    do name = `${this.prefix}${hint}_${this.counter++}`;
    while (this.used.has(name));
    this.used.add(name);
    return name;
  }

  /** Emits one node; returns its output names (`outputs` may preset some of them). */
  emit(opType: string, inputs: string[], attrs: Record<string, TAttrValue> = {}, outputCount = 1): string[] {
    const outputs = Array.from({ length: outputCount }, () => this.createName(opType.toLowerCase()));
    const attribute: TAttributeProto[] = Object.entries(attrs).map(([k, v]) => toAttribute(k, v));
    const node = createNodeProto(opType, inputs, outputs, { name: this.createName(`n_${opType}`), attribute });
    this.emitted.push(node);
    return outputs;
  }

  /** Emits a one-output node and returns the output name. */
  emit1(opType: string, inputs: string[], attrs: Record<string, TAttrValue> = {}): string {
    return this.emit(opType, inputs, attrs, 1)[0]!;
  }

  /** A float32 initializer (scalar when dims is []). */
  constFloat(values: ArrayLike<number>, dims: number[]): string {
    const name = this.createName("cf");
    this.graph.initializer.push(createTensor(name, DTYPE.FLOAT, dims, values));
    return name;
  }

  /** An int64 initializer, 1-D unless dims are given. */
  constInt64(values: readonly number[], dims: number[] = [values.length]): string {
    const name = this.createName("ci");
    this.graph.initializer.push(createTensor(name, DTYPE.INT64, dims, values.map((v) => BigInt(v))));
    return name;
  }

  /** Reshape to a static shape (no node when the shapes already match). */
  reshape(value: string, from: readonly number[], to: readonly number[]): string {
    if (sameShape(from, to)) return value;
    return this.emit1("Reshape", [value, this.constInt64([...to])]);
  }

  /**
   * Sums a broadcast gradient back to the shape of the operand that was broadcast (numpy rules): leading extra
   * axes and axes where the operand had size 1 are reduced.
   */
  reduceToShape(grad: string, gradShape: readonly number[], target: readonly number[]): string {
    if (sameShape(gradShape, target)) return grad;
    const lead = gradShape.length - target.length;
    const axes: number[] = [];
    for (let i = 0; i < gradShape.length; i++) {
      if (i < lead || (target[i - lead] === 1 && gradShape[i] !== 1)) axes.push(i);
    }
    const summed = axes.length ? this.emit1("ReduceSum", [grad, this.constInt64(axes)], { keepdims: { int: 1 } }) : grad;
    const keptShape = gradShape.map((d, i) => (axes.includes(i) ? 1 : d));
    return this.reshape(summed, keptShape, target);
  }

  /** Float zeros of a static shape. */
  zeros(dims: readonly number[]): string {
    return this.emit1("ConstantOfShape", [this.constInt64([...dims])]);
  }
}

/** Same rank and sizes. */
export function sameShape(a: readonly number[], b: readonly number[]): boolean {
  return a.length === b.length && a.every((d, i) => d === b[i]);
}

/** Numpy broadcast of two shapes. */
export function broadcastShapes(a: readonly number[], b: readonly number[]): number[] {
  const rank = Math.max(a.length, b.length);
  const out: number[] = [];
  for (let i = 0; i < rank; i++) {
    const x = a[a.length - rank + i] ?? 1;
    const y = b[b.length - rank + i] ?? 1;
    out.push(x === 1 ? y : x);
  }
  return out;
}

function toAttribute(name: string, v: TAttrValue): TAttributeProto {
  if (typeof v === "object" && !Array.isArray(v)) {
    if (!("ints" in v)) return createAttribute(name, v.int, { asInt: true });
    const a = createAttribute(name, v.ints, { asInt: true });
    // createAttribute cannot tell an empty int list from an empty float list.
    a.type = ATTRIBUTE_TYPE.INTS;
    a.floats = [];
    return a;
  }
  return createAttribute(name, v);
}

/** Element count of a shape. */
export function countElements(dims: readonly number[]): number {
  return dims.reduce((a, b) => a * b, 1);
}
