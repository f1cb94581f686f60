/**
 * A graph wrapper: read queries (producers, consumers, constant lookup across nested graphs), small edits
 * (insert/remove nodes, rename values, add/remove initializers) and a stable topological sort with cycle detection.
 * It edits the wrapped TGraphProto in place; the maps are rebuilt lazily after each edit.
 */
import { AppError } from "../../contracts/app-error";
import { DTYPE, createTensor } from "./dtypes";
import {
  ATTRIBUTE_TYPE,
  type TAttributeProto,
  type TGraphProto,
  type TModelProto,
  type TNodeProto,
  type TTensorProto,
} from "./onnx-proto";

export type TGraphContext = {
  /** 0 for the main graph, +1 per nesting level. */
  depth: number;
  /** The node (If/Loop/Scan/...) whose attribute holds this graph; absent for the main graph. */
  parentNode?: TNodeProto;
  parentGraph?: TGraphProto;
  attributeName?: string;
};

/** Graphs stored in a node's attributes (If branches, Loop/Scan bodies, custom ops with graph attributes). */
export function listSubgraphs(node: TNodeProto): { attributeName: string; graph: TGraphProto }[] {
  const out: { attributeName: string; graph: TGraphProto }[] = [];
  for (const a of node.attribute) {
    if (a.g) out.push({ attributeName: a.name ?? "", graph: a.g });
    for (const g of a.graphs) out.push({ attributeName: a.name ?? "", graph: g });
  }
  return out;
}

/** Visits the main graph and every nested graph, depth-first, parents before children. */
export function forEachGraph(root: TModelProto | TGraphProto, fn: (graph: TGraphProto, ctx: TGraphContext) => void): void {
  const main = "node" in root ? root : root.graph;
  if (!main) return;
  const stack: { graph: TGraphProto; ctx: TGraphContext }[] = [{ graph: main, ctx: { depth: 0 } }];
  while (stack.length > 0) {
    const { graph, ctx } = stack.pop()!;
    fn(graph, ctx);
    const children: { graph: TGraphProto; ctx: TGraphContext }[] = [];
    for (const node of graph.node) {
      for (const sub of listSubgraphs(node)) {
        children.push({
          graph: sub.graph,
          ctx: { depth: ctx.depth + 1, parentNode: node, parentGraph: graph, attributeName: sub.attributeName },
        });
      }
    }
    for (let i = children.length - 1; i >= 0; i--) stack.push(children[i]);
  }
}

/** Visits every node of every graph (subgraphs included). */
export function forEachNode(root: TModelProto | TGraphProto, fn: (node: TNodeProto, graph: TGraphProto, ctx: TGraphContext) => void): void {
  forEachGraph(root, (g, ctx) => {
    for (const n of g.node) fn(n, g, ctx);
  });
}

// ---------------------------------------------------------------------------------------------------------------
// Attributes

export function getAttribute(node: TNodeProto, name: string): TAttributeProto | undefined {
  return node.attribute.find((a) => a.name === name);
}

function clampToNumber(v: bigint): number {
  // INT64_MAX/MIN appear as "to the end" markers (Slice); clamp instead of losing precision silently.
  if (v > BigInt(Number.MAX_SAFE_INTEGER)) return Number.MAX_SAFE_INTEGER;
  if (v < BigInt(Number.MIN_SAFE_INTEGER)) return Number.MIN_SAFE_INTEGER;
  return Number(v);
}

/** INT attribute as a number (values beyond ±2^53 clamp to the safe range), or the default. */
export function getAttrInt(node: TNodeProto, name: string, fallback: number): number;
export function getAttrInt(node: TNodeProto, name: string): number | undefined;
export function getAttrInt(node: TNodeProto, name: string, fallback?: number): number | undefined {
  const a = getAttribute(node, name);
  return a?.i !== undefined ? clampToNumber(a.i) : fallback;
}

/** INTS attribute as numbers, or the default. */
export function getAttrInts(node: TNodeProto, name: string, fallback?: number[]): number[] | undefined {
  const a = getAttribute(node, name);
  return a && (a.type === ATTRIBUTE_TYPE.INTS || a.ints.length > 0) ? a.ints.map(clampToNumber) : fallback;
}

export function getAttrFloat(node: TNodeProto, name: string, fallback?: number): number | undefined {
  return getAttribute(node, name)?.f ?? fallback;
}

export function getAttrFloats(node: TNodeProto, name: string, fallback?: number[]): number[] | undefined {
  const a = getAttribute(node, name);
  return a && (a.type === ATTRIBUTE_TYPE.FLOATS || a.floats.length > 0) ? a.floats : fallback;
}

export function getAttrString(node: TNodeProto, name: string, fallback?: string): string | undefined {
  const a = getAttribute(node, name);
  return a?.s !== undefined ? new TextDecoder().decode(a.s) : fallback;
}

/** Sets (adds or replaces) an attribute. */
export function setAttribute(node: TNodeProto, attr: TAttributeProto): void {
  const i = node.attribute.findIndex((a) => a.name === attr.name);
  if (i >= 0) node.attribute[i] = attr;
  else node.attribute.push(attr);
}

/**
 * The tensor a Constant node produces (from `value` or the value_float(s)/value_int(s)/value_string(s) forms),
 * named after its output; undefined for sparse_value or a non-Constant node.
 */
export function readConstantNodeTensor(node: TNodeProto): TTensorProto | undefined {
  if (node.opType !== "Constant" || (node.domain ?? "") !== "") return undefined;
  const name = node.output[0] ?? "";
  const a = node.attribute[0];
  if (!a) return undefined;
  switch (a.name) {
    case "value":
      return a.t;
    case "value_float":
      return createTensor(name, DTYPE.FLOAT, [], [a.f ?? 0]);
    case "value_floats":
      return createTensor(name, DTYPE.FLOAT, [a.floats.length], a.floats);
    case "value_int":
      return createTensor(name, DTYPE.INT64, [], [a.i ?? 0n]);
    case "value_ints":
      return createTensor(name, DTYPE.INT64, [a.ints.length], a.ints);
    case "value_string":
      return createTensor(name, DTYPE.STRING, [], [new TextDecoder().decode(a.s ?? new Uint8Array())]);
    case "value_strings":
      return createTensor(name, DTYPE.STRING, [a.strings.length], a.strings.map((s) => new TextDecoder().decode(s)));
    default:
      return undefined;
  }
}

export type TConstantLookup = {
  tensor: TTensorProto;
  graph: TGraphProto;
  source: "initializer" | "constant-node";
  /** The Constant node, when source is "constant-node". */
  node?: TNodeProto;
};

/** Finds a constant (initializer or Constant node output) by value name in any graph of the model. */
export function findConstantTensor(root: TModelProto | TGraphProto, name: string): TConstantLookup | undefined {
  let found: TConstantLookup | undefined;
  forEachGraph(root, (g) => {
    if (found) return;
    const init = g.initializer.find((t) => t.name === name);
    if (init) {
      found = { tensor: init, graph: g, source: "initializer" };
      return;
    }
    for (const n of g.node) {
      if (n.opType === "Constant" && n.output[0] === name) {
        const t = readConstantNodeTensor(n);
        if (t) found = { tensor: t, graph: g, source: "constant-node", node: n };
        return;
      }
    }
  });
  return found;
}

/** Display name of a node for messages: its name, else "OpType (output X)". */
export function describeNode(node: TNodeProto): string {
  if (node.name) return `"${node.name}" (${node.opType ?? "?"})`;
  return `${node.opType ?? "?"} producing "${node.output[0] ?? "?"}"`;
}

/** Names a nested graph reads from enclosing scopes (used but not produced or declared inside it). */
export function listOuterScopeInputs(graph: TGraphProto): Set<string> {
  const defined = new Set<string>();
  for (const i of graph.input) defined.add(i.name ?? "");
  for (const t of graph.initializer) defined.add(t.name ?? "");
  for (const s of graph.sparseInitializer) defined.add(s.values?.name ?? "");
  const used = new Set<string>();
  for (const n of graph.node) {
    for (const o of n.output) defined.add(o);
  }
  for (const n of graph.node) {
    for (const i of n.input) if (i !== "" && !defined.has(i)) used.add(i);
    for (const sub of listSubgraphs(n)) for (const i of listOuterScopeInputs(sub.graph)) if (!defined.has(i)) used.add(i);
  }
  return used;
}

// ---------------------------------------------------------------------------------------------------------------
// The wrapper

export class OnnxGraph {
  readonly graph: TGraphProto;
  private producerMap?: Map<string, TNodeProto>;
  private consumerMap?: Map<string, TNodeProto[]>;

  constructor(graph: TGraphProto) {
    this.graph = graph;
  }

  /** Drops cached maps; call after editing `graph` directly. */
  invalidate(): void {
    this.producerMap = undefined;
    this.consumerMap = undefined;
  }

  private buildMaps(): void {
    const producers = new Map<string, TNodeProto>();
    const consumers = new Map<string, TNodeProto[]>();
    for (const n of this.graph.node) {
      for (const o of n.output) if (o !== "") producers.set(o, n);
      const inputs = new Set(n.input.filter((i) => i !== ""));
      // Values read inside subgraphs count as consumed by the node that owns the subgraph.
      for (const sub of listSubgraphs(n)) for (const i of listOuterScopeInputs(sub.graph)) inputs.add(i);
      for (const i of inputs) {
        const list = consumers.get(i);
        if (list) list.push(n);
        else consumers.set(i, [n]);
      }
    }
    this.producerMap = producers;
    this.consumerMap = consumers;
  }

  /** The node producing `name` in this graph, if any. */
  getProducer(name: string): TNodeProto | undefined {
    if (!this.producerMap) this.buildMaps();
    return this.producerMap!.get(name);
  }

  /** Nodes reading `name` (directly or from one of their subgraphs). */
  getConsumers(name: string): TNodeProto[] {
    if (!this.consumerMap) this.buildMaps();
    return this.consumerMap!.get(name) ?? [];
  }

  isGraphInput(name: string): boolean {
    return this.graph.input.some((i) => i.name === name);
  }

  isGraphOutput(name: string): boolean {
    return this.graph.output.some((o) => o.name === name);
  }

  findInitializer(name: string): TTensorProto | undefined {
    return this.graph.initializer.find((t) => t.name === name);
  }

  /** Constant value of `name` in this graph: an initializer or a Constant node's tensor. */
  findConstant(name: string): TTensorProto | undefined {
    const init = this.findInitializer(name);
    if (init) return init;
    const p = this.getProducer(name);
    return p ? readConstantNodeTensor(p) : undefined;
  }

  /** Adds or replaces an initializer by name. */
  setInitializer(tensor: TTensorProto): void {
    const i = this.graph.initializer.findIndex((t) => t.name === tensor.name);
    if (i >= 0) this.graph.initializer[i] = tensor;
    else this.graph.initializer.push(tensor);
  }

  removeInitializer(name: string): boolean {
    const i = this.graph.initializer.findIndex((t) => t.name === name);
    if (i < 0) return false;
    this.graph.initializer.splice(i, 1);
    // IR < 4 models also list initializers as graph inputs.
    const j = this.graph.input.findIndex((v) => v.name === name);
    if (j >= 0) this.graph.input.splice(j, 1);
    return true;
  }

  /** Inserts nodes at `index` (default: the end). Call `topologicalSort()` before saving if order may be off. */
  insertNodes(nodes: TNodeProto[], index = this.graph.node.length): void {
    this.graph.node.splice(index, 0, ...nodes);
    this.invalidate();
  }

  /** Removes the given nodes (by identity). */
  removeNodes(nodes: Iterable<TNodeProto>): void {
    const drop = new Set(nodes);
    this.graph.node = this.graph.node.filter((n) => !drop.has(n));
    this.invalidate();
  }

  /** Unique value name with the given prefix. */
  createUniqueName(prefix: string): string {
    const taken = new Set<string>();
    forEachGraph(this.graph, (g) => {
      for (const n of g.node) {
        for (const o of n.output) taken.add(o);
        if (n.name) taken.add(n.name);
      }
      for (const t of g.initializer) taken.add(t.name ?? "");
      for (const v of g.input) taken.add(v.name ?? "");
    });
    if (!taken.has(prefix)) return prefix;
    for (let i = 1; ; i++) if (!taken.has(`${prefix}_${i}`)) return `${prefix}_${i}`;
  }

  /**
   * Renames a value everywhere it is visible: node inputs/outputs, graph inputs/outputs/value_info, initializers,
   * and nested graphs that read it from this scope (unless they define their own value of that name).
   */
  renameValue(from: string, to: string): void {
    renameInGraph(this.graph, from, to, true);
    this.invalidate();
  }

  /** Sorts `graph.node` topologically, keeping the original order where possible. */
  topologicalSort(): void {
    this.graph.node = sortNodesTopologically(this.graph);
    this.invalidate();
  }
}

function renameInGraph(g: TGraphProto, from: string, to: string, isOwner: boolean): void {
  if (!isOwner) {
    // A nested graph that declares its own value of this name shadows the outer one.
    const shadows =
      g.input.some((i) => i.name === from) ||
      g.initializer.some((t) => t.name === from) ||
      g.node.some((n) => n.output.includes(from));
    if (shadows) return;
  }
  for (const n of g.node) {
    n.input = n.input.map((i) => (i === from ? to : i));
    n.output = n.output.map((o) => (o === from ? to : o));
    for (const sub of listSubgraphs(n)) renameInGraph(sub.graph, from, to, false);
  }
  for (const list of [g.input, g.output, g.valueInfo]) for (const v of list) if (v.name === from) v.name = to;
  for (const t of g.initializer) if (t.name === from) t.name = to;
  for (const s of g.sparseInitializer) if (s.values?.name === from) s.values.name = to;
}

/**
 * Stable topological order of a graph's nodes (iterative DFS in original order, so already-sorted graphs keep
 * their order). Throws UNPROCESSABLE "the graph has a cycle through node X" when there is none.
 */
export function sortNodesTopologically(graph: TGraphProto): TNodeProto[] {
  const nodes = graph.node;
  const producerIndex = new Map<string, number>();
  nodes.forEach((n, i) => {
    for (const o of n.output) if (o !== "") producerIndex.set(o, i);
  });
  const deps: number[][] = nodes.map((n, i) => {
    const names = new Set(n.input.filter((x) => x !== ""));
    for (const sub of listSubgraphs(n)) for (const x of listOuterScopeInputs(sub.graph)) names.add(x);
    const out: number[] = [];
    for (const x of names) {
      const p = producerIndex.get(x);
      if (p !== undefined) {
        if (p === i) throw cycleError(graph, nodes[i]);
        out.push(p);
      }
    }
    return out;
  });
  const state = new Uint8Array(nodes.length); // 0 new, 1 on stack, 2 done
  const order: TNodeProto[] = [];
  for (let root = 0; root < nodes.length; root++) {
    if (state[root] !== 0) continue;
    const stack: { i: number; next: number }[] = [{ i: root, next: 0 }];
    state[root] = 1;
    while (stack.length > 0) {
      const top = stack[stack.length - 1];
      const d = deps[top.i];
      if (top.next < d.length) {
        const j = d[top.next++];
        if (state[j] === 1) throw cycleError(graph, nodes[j]);
        if (state[j] === 0) {
          state[j] = 1;
          stack.push({ i: j, next: 0 });
        }
        continue;
      }
      state[top.i] = 2;
      order.push(nodes[top.i]);
      stack.pop();
    }
  }
  return order;
}

function cycleError(graph: TGraphProto, node: TNodeProto): AppError {
  const where = graph.name ? ` (graph "${graph.name}")` : "";
  return new AppError("UNPROCESSABLE", {
    userMessage: `the graph has a cycle through node ${describeNode(node)}${where}; an ONNX graph must be acyclic`,
  });
}

/** Topologically sorts every graph of the model in place (main graph and subgraphs). */
export function sortModelTopologically(model: TModelProto): void {
  forEachGraph(model, (g) => {
    g.node = sortNodesTopologically(g);
  });
}

export type TTensorSite = {
  graph: TGraphProto;
  kind: "initializer" | "sparse-initializer" | "attribute";
  /** For attribute tensors: the node holding it (e.g. a Constant node). */
  node?: TNodeProto;
};

/**
 * Visits every stored tensor of the model: initializers, sparse initializers (values and indices) and tensors in
 * node attributes (Constant values and others), in every graph.
 */
export function forEachTensor(root: TModelProto | TGraphProto, fn: (tensor: TTensorProto, site: TTensorSite) => void): void {
  forEachGraph(root, (graph) => {
    for (const t of graph.initializer) fn(t, { graph, kind: "initializer" });
    for (const s of graph.sparseInitializer) {
      if (s.values) fn(s.values, { graph, kind: "sparse-initializer" });
      if (s.indices) fn(s.indices, { graph, kind: "sparse-initializer" });
    }
    for (const node of graph.node) {
      for (const a of node.attribute) {
        if (a.t) fn(a.t, { graph, kind: "attribute", node });
        for (const t of a.tensors) fn(t, { graph, kind: "attribute", node });
        for (const s of [a.sparseTensor, ...a.sparseTensors]) {
          if (s?.values) fn(s.values, { graph, kind: "attribute", node });
          if (s?.indices) fn(s.indices, { graph, kind: "attribute", node });
        }
      }
    }
  });
}
