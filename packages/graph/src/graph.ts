// The graph builder: values, ONNX nodes, and every op with its gradient rule written beside it.
//
// Each op method checks shapes/dtypes, infers the output shape, emits one or more ONNX nodes, and (outside
// composites) records an OpRecord whose `grad` closure builds the vector-Jacobian product from upstream grads.
// Autodiff (autodiff.ts) walks these records backwards; serialization (serialize.ts) walks the ONNX nodes.

import { BYTES_PER_ELEMENT, checkData, type DType, encodeNumbers, isFloat, type TypedData } from './dtype.js';
import {
  broadcast,
  broadcastAxes,
  type Dim,
  divideSize,
  fmt,
  GraphError,
  normAxis,
  sameSize,
  sizeOf,
} from './shape.js';

export const OPSET = 21;

export type Attr =
  | { i: number }
  | { f: number }
  | { s: string }
  | { ints: number[] }
  | { floats: number[] }
  | { t: Initializer };

export interface OnnxNode {
  opType: string;
  name: string;
  inputs: string[];
  outputs: string[];
  attrs: Record<string, Attr>;
}

export interface Initializer {
  name: string;
  dtype: DType;
  dims: number[];
  /** Little-endian element bytes (TensorProto.raw_data). */
  data: Uint8Array;
}

/** Builds input grads from output grads. `gys[i]` is null when output i got no gradient. */
export type GradFn = (gys: (Value | null)[], needs: boolean[]) => (Value | null | undefined)[];

export interface OpRecord {
  op: string;
  inputs: Value[];
  outputs: Value[];
  grad?: GradFn;
}

/** A symbolic tensor in a Graph: a name, an element type and a static shape with optional named dims. */
export class Value {
  producer?: OpRecord;
  constructor(
    readonly graph: Graph,
    readonly name: string,
    readonly dtype: DType,
    readonly shape: readonly Dim[],
    readonly id: number,
  ) {}
  get rank(): number {
    return this.shape.length;
  }
  toString(): string {
    return `${this.name}:${this.dtype}${fmt(this.shape)}`;
  }
}

export interface Param {
  value: Value;
  /** Initial values (e.g. for an inference graph baked with initializers). */
  init?: TypedData;
}

export type ValueOr = Value | number;

const INT64_MAX = 2 ** 62; // sentinel "to the end" for Slice (int64 max is not exact in a JS number)

export class Graph {
  readonly nodes: OnnxNode[] = [];
  readonly initializers: Initializer[] = [];
  readonly inputs: Value[] = [];
  readonly params: Param[] = [];
  readonly outputs: { name: string; value: Value }[] = [];
  readonly records: OpRecord[] = [];
  /** Where a named dim can be read at run time: the first graph input that has it. */
  readonly dimSources = new Map<string, { value: Value; axis: number }>();
  private readonly names = new Set<string>();
  private counter = 0;
  private noRecord = 0;
  private readonly constCache = new Map<string, Value>();
  private readonly shapeCache = new Map<number, Value>();
  private readonly paramNames = new Set<string>();
  private readonly byName = new Map<string, Value>();

  constructor(readonly name = 'steel_graph') {}

  // ---------------------------------------------------------------- values, inputs, constants

  private claim(name: string, what: string): string {
    if (!/^[A-Za-z_][\w.\-/:]*$/.test(name)) {
      throw new GraphError(what, `name '${name}' must start with a letter or _ and use [A-Za-z0-9_.-/:]`);
    }
    if (this.names.has(name)) throw new GraphError(what, `name '${name}' is already used in this graph`);
    this.names.add(name);
    return name;
  }

  private fresh(hint: string): string {
    let n: string;
    do n = `${hint}_${this.counter++}`;
    while (this.names.has(n));
    this.names.add(n);
    return n;
  }

  private newValue(name: string, dtype: DType, shape: readonly Dim[]): Value {
    const v = new Value(this, name, dtype, Object.freeze([...shape]), this.counter++);
    this.byName.set(name, v);
    return v;
  }

  /** The value with this tensor name (inputs, params, constants, node outputs). */
  value(name: string): Value | undefined {
    return this.byName.get(name);
  }

  private checkShape(shape: readonly Dim[], what: string): void {
    for (const d of shape) {
      if (typeof d === 'number' ? !(Number.isInteger(d) && d >= 0) : d.length === 0) {
        throw new GraphError(what, `bad dim ${JSON.stringify(d)} in ${fmt(shape)}: dims are integers >= 0 or names`);
      }
    }
  }

  /** A graph input fed at run time. Named dims ('batch', 'seq') may differ between runs. */
  input(name: string, dtype: DType, shape: readonly Dim[]): Value {
    this.checkShape(shape, `input '${name}'`);
    const v = this.newValue(this.claim(name, 'input'), dtype, shape);
    this.inputs.push(v);
    shape.forEach((d, axis) => {
      if (typeof d === 'string' && !this.dimSources.has(d)) this.dimSources.set(d, { value: v, axis });
    });
    return v;
  }

  /**
   * A trainable parameter: a graph input by default (the trainer feeds it each step and asks for its
   * gradient), or an initializer when serialized with `{ paramsAs: 'initializers' }` and `init` is given.
   */
  param(name: string, shape: readonly number[], opts: { dtype?: DType; init?: TypedData } = {}): Value {
    const dtype = opts.dtype ?? 'float32';
    this.checkShape(shape, `param '${name}'`);
    const v = this.newValue(this.claim(name, 'param'), dtype, shape);
    if (opts.init) {
      checkData(opts.init, dtype, `param '${name}'`);
      const n = shape.reduce((a, b) => a * b, 1);
      if (opts.init.length !== n) {
        throw new GraphError(
          `param '${name}'`,
          `init has ${opts.init.length} elements, shape ${fmt(shape)} needs ${n}`,
        );
      }
    }
    this.params.push(opts.init ? { value: v, init: opts.init } : { value: v });
    this.paramNames.add(v.name);
    return v;
  }

  isParam(v: Value): boolean {
    return this.paramNames.has(v.name);
  }

  /** A constant tensor stored as an initializer (raw bytes). */
  constant(data: TypedData | number[], shape: readonly number[], dtype: DType = 'float32', name?: string): Value {
    const n = shape.reduce((a, b) => a * b, 1);
    if (data.length !== n) throw new GraphError('constant', `${data.length} values for shape ${fmt(shape)} (${n})`);
    let bytes: Uint8Array;
    if (Array.isArray(data)) bytes = encodeNumbers(data, dtype);
    else {
      checkData(data, dtype, 'constant');
      bytes = new Uint8Array(data.buffer, data.byteOffset, data.byteLength);
    }
    const v = this.newValue(name ? this.claim(name, 'constant') : this.fresh('const'), dtype, shape);
    this.initializers.push({ name: v.name, dtype, dims: [...shape], data: bytes });
    return v;
  }

  /** A scalar constant (shape []), shared between uses. */
  scalar(x: number, dtype: DType = 'float32'): Value {
    const key = `s:${dtype}:${Object.is(x, -0) ? '-0' : x}`;
    let v = this.constCache.get(key);
    if (!v) {
      v = this.constant([x], [], dtype);
      this.constCache.set(key, v);
    }
    return v;
  }

  /** A 1-D int64 constant (axes, shapes, indices), shared between uses. */
  ints(xs: readonly number[]): Value {
    const key = `i:${xs.join(',')}`;
    let v = this.constCache.get(key);
    if (!v) {
      v = this.constant([...xs], [xs.length], 'int64');
      this.constCache.set(key, v);
    }
    return v;
  }

  /** Mark a value as a graph output (renamed through Identity when `name` differs). */
  output(v: Value, name?: string): Value {
    this.own(v, 'output');
    let out = v;
    const taken = this.outputs.some((o) => o.value.name === v.name) || this.inputs.includes(v) || this.isParam(v);
    if ((name && name !== v.name) || taken || this.initializers.some((i) => i.name === v.name)) {
      // The renamed output is still differentiable: a loss marked as an output may be the root of grad().
      out = this.emit1('Identity', [v], {}, v.dtype, v.shape, (gy) => [gy], name ?? `${v.name}_out`);
    }
    if (this.outputs.some((o) => o.name === out.name))
      throw new GraphError('output', `'${out.name}' is already an output`);
    this.outputs.push({ name: out.name, value: out });
    return out;
  }

  private own(v: Value, op: string): void {
    if (!(v instanceof Value)) throw new GraphError(op, `expected a Value, got ${typeof v}`);
    if (v.graph !== this) throw new GraphError(op, `value ${v} belongs to another graph`);
  }

  private lift(x: ValueOr, like: Value): Value {
    return typeof x === 'number' ? this.scalar(x, like.dtype) : x;
  }

  // ---------------------------------------------------------------- emitting nodes and records

  /** Emit one ONNX node; record it for autodiff unless inside a composite. */
  emit(
    op: string,
    inputs: (Value | null)[],
    attrs: Record<string, Attr>,
    outs: { dtype: DType; shape: readonly Dim[]; name?: string }[],
    grad?: GradFn,
  ): Value[] {
    for (const x of inputs) if (x) this.own(x, op);
    for (const frame of this.captures) {
      for (const x of inputs) if (x && x.id < frame.start) frame.seen.set(x.id, x);
    }
    const outputs = outs.map((o) =>
      this.newValue(o.name ? this.claim(o.name, op) : this.fresh(op.toLowerCase()), o.dtype, o.shape),
    );
    this.nodes.push({
      opType: op,
      name: `${op}_${this.nodes.length}`,
      inputs: inputs.map((x) => (x ? x.name : '')),
      outputs: outputs.map((o) => o.name),
      attrs,
    });
    if (this.noRecord === 0) {
      this.record(
        op,
        inputs.filter((x): x is Value => x !== null),
        outputs,
        grad,
      );
    }
    return outputs;
  }

  private emit1(
    op: string,
    inputs: (Value | null)[],
    attrs: Record<string, Attr>,
    dtype: DType,
    shape: readonly Dim[],
    grad?: (gy: Value, needs: boolean[]) => (Value | null | undefined)[],
    name?: string,
  ): Value {
    const g: GradFn | undefined = grad ? (gys, needs) => grad(gys[0]!, needs) : undefined;
    return this.emit(op, inputs, attrs, [name ? { dtype, shape, name } : { dtype, shape }], g)[0]!;
  }

  private record(op: string, inputs: Value[], outputs: Value[], grad?: GradFn): void {
    const rec: OpRecord = grad ? { op, inputs, outputs, grad } : { op, inputs, outputs };
    for (const o of outputs) o.producer = rec;
    this.records.push(rec);
  }

  /**
   * A fused op: `build` emits the forward with ordinary ops (not recorded), and `grad` is the one rule
   * autodiff uses for the whole block. This is how custom gradients (RMSNorm, attention, cross-entropy) work.
   */
  composite(op: string, inputs: Value[], build: () => Value[], grad: GradFn): Value[] {
    this.noRecord++;
    let outputs: Value[];
    try {
      outputs = build();
    } finally {
      this.noRecord--;
    }
    if (this.noRecord === 0) this.record(op, inputs, outputs, grad);
    return outputs;
  }

  private readonly captures: { start: number; seen: Map<number, Value> }[] = [];

  /** Run `fn` and also return the values created before it that its nodes read (in first-use order). */
  capturing<T>(fn: () => T): { result: T; captured: Value[] } {
    const frame = { start: this.counter, seen: new Map<number, Value>() };
    this.captures.push(frame);
    try {
      const result = fn();
      return { result, captured: [...frame.seen.values()] };
    } finally {
      this.captures.pop();
    }
  }

  /** Run `fn` without recording (its values carry no gradient). */
  noGrad<T>(fn: () => T): T {
    this.noRecord++;
    try {
      return fn();
    } finally {
      this.noRecord--;
    }
  }

  // ---------------------------------------------------------------- shape helpers used by grads

  /** Shape(x) as an int64 [rank] value (one Shape node per value). */
  shapeOf(x: Value): Value {
    let s = this.shapeCache.get(x.id);
    if (!s) {
      s = this.emit1('Shape', [x], {}, 'int64', [x.rank]);
      this.shapeCache.set(x.id, s);
    }
    return s;
  }

  /** The size of axis `axis` of x as an int64 [1] value (a constant when the dim is a number). */
  dimOf(x: Value, axis: number): Value {
    const a = normAxis(axis, x.rank, 'dimOf');
    const d = x.shape[a]!;
    if (typeof d === 'number') return this.ints([d]);
    return this.emit1('Shape', [x], { start: { i: a }, end: { i: a + 1 } }, 'int64', [1]);
  }

  /** The run-time size of a named dim, read from the graph input that declared it. */
  dim(name: string): Value {
    const src = this.dimSources.get(name);
    if (!src) {
      throw new GraphError(
        'dim',
        `no graph input has a dim named '${name}' (known: ${[...this.dimSources.keys()].join(', ') || 'none'})`,
      );
    }
    return this.dimOf(src.value, src.axis);
  }

  /** A runtime int64 shape tensor for dims (numbers and names). */
  shapeTensor(dims: readonly Dim[]): Value {
    if (dims.every((d) => typeof d === 'number')) return this.ints(dims as number[]);
    const parts = dims.map((d) => (typeof d === 'number' ? this.ints([d]) : this.dim(d)));
    return this.emit1('Concat', parts, { axis: { i: 0 } }, 'int64', [dims.length]);
  }

  /** Sum a broadcast gradient back to `shape` (the shape of the input that was broadcast). */
  sumTo(gy: Value, shape: readonly Dim[]): Value {
    const { lead, ones } = broadcastAxes(shape, gy.shape);
    let g = gy;
    if (lead.length) g = this.reduceSum(g, lead, false);
    if (ones.length) g = this.reduceSum(g, ones, true);
    return g;
  }

  zerosLike(x: Value): Value {
    const value: Initializer = { name: 'value', dtype: x.dtype, dims: [1], data: encodeNumbers([0], x.dtype) };
    return this.emit1('ConstantOfShape', [this.shapeOf(x)], { value: { t: value } }, x.dtype, x.shape);
  }

  /** Number of elements of x over `axes` as a scalar of x's dtype (constant when the dims are numbers). */
  countOf(x: Value, axes: readonly number[]): Value {
    const dims = axes.map((a) => x.shape[a]!);
    if (dims.every((d) => typeof d === 'number')) {
      return this.scalar(
        (dims as number[]).reduce((a, b) => a * b, 1),
        x.dtype,
      );
    }
    const parts = axes.map((a) => this.dimOf(x, a));
    const cat =
      parts.length === 1 ? parts[0]! : this.emit1('Concat', parts, { axis: { i: 0 } }, 'int64', [parts.length]);
    const f = this.cast(cat, x.dtype);
    return this.emit1('ReduceProd', [f, this.ints([0])], { keepdims: { i: 0 } }, x.dtype, []);
  }

  // ---------------------------------------------------------------- elementwise binary

  private binary(
    op: string,
    a: ValueOr,
    b: ValueOr,
    grad: (gy: Value, a: Value, b: Value, y: Value, needs: boolean[]) => [Value?, Value?],
  ) {
    if (typeof a === 'number' && typeof b === 'number') throw new GraphError(op, 'needs at least one Value');
    const A = typeof a === 'number' ? this.lift(a, b as Value) : a;
    const B = this.lift(b, A);
    this.own(A, op);
    this.own(B, op);
    if (A.dtype !== B.dtype) throw new GraphError(op, `dtypes differ: ${A} vs ${B} (insert a cast)`);
    const shape = broadcast(A.shape, B.shape, op);
    const y: Value = this.emit1(op, [A, B], {}, A.dtype, shape, (gy, needs) => {
      const [ga, gb] = grad(gy, A, B, y, needs);
      return [needs[0] && ga ? this.sumTo(ga, A.shape) : null, needs[1] && gb ? this.sumTo(gb, B.shape) : null];
    });
    return y;
  }

  /** a + b (broadcasting). d/da = gy, d/db = gy, each summed back to its input shape. */
  add(a: ValueOr, b: ValueOr): Value {
    return this.binary('Add', a, b, (gy) => [gy, gy]);
  }
  /** a - b. d/da = gy, d/db = -gy. */
  sub(a: ValueOr, b: ValueOr): Value {
    return this.binary('Sub', a, b, (gy, _a, _b, _y, n) => [gy, n[1] ? this.neg(gy) : undefined]);
  }
  /** a * b. d/da = gy*b, d/db = gy*a. */
  mul(a: ValueOr, b: ValueOr): Value {
    return this.binary('Mul', a, b, (gy, A, B, _y, n) => [
      n[0] ? this.mul(gy, B) : undefined,
      n[1] ? this.mul(gy, A) : undefined,
    ]);
  }
  /** a / b. d/da = gy/b, d/db = -gy*y/b. */
  div(a: ValueOr, b: ValueOr): Value {
    return this.binary('Div', a, b, (gy, _A, B, y, n) => {
      const ga = this.div(gy, B);
      return [ga, n[1] ? this.neg(this.mul(ga, y)) : undefined];
    });
  }
  /** a ** b. d/da = gy*b*a^(b-1), d/db = gy*y*log(a) (a > 0 where b needs a gradient). */
  pow(a: ValueOr, b: ValueOr): Value {
    return this.binary('Pow', a, b, (gy, A, B, y, n) => [
      n[0] ? this.mul(gy, this.mul(B, this.pow(A, this.sub(B, 1)))) : undefined,
      n[1] ? this.mul(this.mul(gy, y), this.log(A)) : undefined,
    ]);
  }
  /** max(a, b). The gradient goes to a where a >= b, else to b. */
  max(a: ValueOr, b: ValueOr): Value {
    return this.binary('Max', a, b, (gy, A, B) => {
      const m = this.greaterOrEqual(A, B);
      const z = this.scalar(0, gy.dtype);
      return [this.where(m, gy, z), this.where(m, z, gy)];
    });
  }
  /** min(a, b). The gradient goes to a where a <= b, else to b. */
  min(a: ValueOr, b: ValueOr): Value {
    return this.binary('Min', a, b, (gy, A, B) => {
      const m = this.lessOrEqual(A, B);
      const z = this.scalar(0, gy.dtype);
      return [this.where(m, gy, z), this.where(m, z, gy)];
    });
  }

  private compare(op: string, a: ValueOr, b: ValueOr): Value {
    const A = typeof a === 'number' ? this.lift(a, b as Value) : a;
    const B = this.lift(b, A);
    if (A.dtype !== B.dtype) throw new GraphError(op, `dtypes differ: ${A} vs ${B}`);
    return this.emit1(op, [A, B], {}, 'bool', broadcast(A.shape, B.shape, op));
  }
  equal(a: ValueOr, b: ValueOr): Value {
    return this.compare('Equal', a, b);
  }
  less(a: ValueOr, b: ValueOr): Value {
    return this.compare('Less', a, b);
  }
  greater(a: ValueOr, b: ValueOr): Value {
    return this.compare('Greater', a, b);
  }
  lessOrEqual(a: ValueOr, b: ValueOr): Value {
    return this.compare('LessOrEqual', a, b);
  }
  greaterOrEqual(a: ValueOr, b: ValueOr): Value {
    return this.compare('GreaterOrEqual', a, b);
  }
  not(x: Value): Value {
    if (x.dtype !== 'bool') throw new GraphError('Not', `needs bool, got ${x}`);
    return this.emit1('Not', [x], {}, 'bool', x.shape);
  }

  /** cond ? a : b (broadcasting). d/da = where(cond, gy, 0), d/db = where(cond, 0, gy). */
  where(cond: Value, a: ValueOr, b: ValueOr): Value {
    if (cond.dtype !== 'bool') throw new GraphError('Where', `condition must be bool, got ${cond}`);
    if (typeof a === 'number' && typeof b === 'number')
      throw new GraphError('Where', 'needs at least one Value branch');
    const A = typeof a === 'number' ? this.lift(a, b as Value) : a;
    const B = this.lift(b, A);
    if (A.dtype !== B.dtype) throw new GraphError('Where', `branch dtypes differ: ${A} vs ${B}`);
    const shape = broadcast(broadcast(cond.shape, A.shape, 'Where'), B.shape, 'Where');
    return this.emit1('Where', [cond, A, B], {}, A.dtype, shape, (gy, needs) => {
      const z = this.scalar(0, gy.dtype);
      return [
        null,
        needs[1] ? this.sumTo(this.where(cond, gy, z), A.shape) : null,
        needs[2] ? this.sumTo(this.where(cond, z, gy), B.shape) : null,
      ];
    });
  }

  // ---------------------------------------------------------------- elementwise unary

  private unary(
    op: string,
    x: Value,
    grad: ((gy: Value, y: Value) => Value) | undefined,
    attrs: Record<string, Attr> = {},
  ) {
    this.own(x, op);
    if (grad && !isFloat(x.dtype)) throw new GraphError(op, `needs a float input, got ${x}`);
    const y: Value = this.emit1(op, [x], attrs, x.dtype, x.shape, grad ? (gy) => [grad(gy, y)] : undefined);
    return y;
  }

  /** -x. d/dx = -gy. */
  neg(x: Value): Value {
    return this.unary('Neg', x, (gy) => this.neg(gy));
  }
  /** e^x. d/dx = gy*y. */
  exp(x: Value): Value {
    return this.unary('Exp', x, (gy, y) => this.mul(gy, y));
  }
  /** ln x. d/dx = gy/x. */
  log(x: Value): Value {
    return this.unary('Log', x, (gy) => this.div(gy, x));
  }
  /** sqrt x. d/dx = gy*0.5/y. */
  sqrt(x: Value): Value {
    return this.unary('Sqrt', x, (gy, y) => this.div(this.mul(gy, 0.5), y));
  }
  /** 1/x. d/dx = -gy*y^2. */
  reciprocal(x: Value): Value {
    return this.unary('Reciprocal', x, (gy, y) => this.neg(this.mul(gy, this.mul(y, y))));
  }
  /** 1/(1+e^-x). d/dx = gy*y*(1-y). */
  sigmoid(x: Value): Value {
    return this.unary('Sigmoid', x, (gy, y) => this.mul(gy, this.mul(y, this.sub(1, y))));
  }
  /** tanh x. d/dx = gy*(1-y^2). */
  tanh(x: Value): Value {
    return this.unary('Tanh', x, (gy, y) => this.mul(gy, this.sub(1, this.mul(y, y))));
  }
  /** max(x, 0). d/dx = gy where x > 0. */
  relu(x: Value): Value {
    return this.unary('Relu', x, (gy) => this.where(this.greater(x, 0), gy, 0));
  }
  /** x*sigmoid(x) (fused gradient). d/dx = gy*s*(1 + x*(1-s)). */
  silu(x: Value): Value {
    let s!: Value;
    return this.composite(
      'SiLU',
      [x],
      () => {
        s = this.sigmoid(x);
        return [this.mul(x, s)];
      },
      ([gy]) => [this.mul(gy!, this.mul(s, this.add(1, this.mul(x, this.sub(1, s)))))],
    )[0]!;
  }
  /** Identity whose gradient is zero: values computed from it are constants for autodiff. */
  stopGradient(x: Value): Value {
    return this.unary('Identity', x, undefined);
  }
  /** Identity (a name for an intermediate). d/dx = gy. */
  identity(x: Value, name?: string): Value {
    return this.emit1('Identity', [x], {}, x.dtype, x.shape, (gy) => [gy], name);
  }

  /** Cast to another dtype. Between floats d/dx = cast(gy, x.dtype); other casts carry no gradient. */
  cast(x: Value, to: DType): Value {
    this.own(x, 'Cast');
    const diff = isFloat(x.dtype) && isFloat(to);
    return this.emit1(
      'Cast',
      [x],
      { to: { i: ONNX_CODE[to] } },
      to,
      x.shape,
      diff ? (gy) => [this.cast(gy, x.dtype)] : undefined,
    );
  }

  // ---------------------------------------------------------------- matmul

  /**
   * Batched matmul with numpy broadcasting over leading dims; both operands rank >= 2.
   * d/da = gy @ b^T, d/db = a^T @ gy, summed back over broadcast batch dims. When b is a 2-D weight and
   * a is batched, d/db is one [K,N] Gemm over all rows instead of a batched product plus a sum.
   */
  matmul(a: Value, b: Value): Value {
    const op = 'MatMul';
    this.own(a, op);
    this.own(b, op);
    if (a.dtype !== b.dtype) throw new GraphError(op, `dtypes differ: ${a} @ ${b}`);
    if (a.rank < 2 || b.rank < 2) {
      throw new GraphError(op, `operands must have rank >= 2: ${fmt(a.shape)} @ ${fmt(b.shape)} (unsqueeze vectors)`);
    }
    const k1 = a.shape[a.rank - 1]!;
    const k2 = b.shape[b.rank - 2]!;
    if (k1 !== k2 && (typeof k1 === typeof k2 || k1 === 1 || k2 === 1)) {
      throw new GraphError(op, `inner dims differ: ${fmt(a.shape)} @ ${fmt(b.shape)} (${k1} vs ${k2})`);
    }
    const batch = broadcast(a.shape.slice(0, -2), b.shape.slice(0, -2), op);
    const shape = [...batch, a.shape[a.rank - 2]!, b.shape[b.rank - 1]!];
    return this.emit1(op, [a, b], {}, a.dtype, shape, (gy, needs) => [
      needs[0] ? this.sumTo(this.matmul(gy, this.transposeLast(b)), a.shape) : null,
      needs[1] ? this.matmulGradB(a, b, gy) : null,
    ]);
  }

  private matmulGradB(a: Value, b: Value, gy: Value): Value {
    if (b.rank === 2 && a.rank > 2) {
      const K = a.shape[a.rank - 1]!;
      const N = gy.shape[gy.rank - 1]!;
      if (typeof K === 'number' && typeof N === 'number') {
        const a2 = this.reshape(a, [-1, K]);
        const g2 = this.reshape(gy, [-1, N]);
        return this.gemm(a2, g2, null, { transA: true });
      }
    }
    return this.sumTo(this.matmul(this.transposeLast(a), gy), b.shape);
  }

  private transposeLast(x: Value): Value {
    const perm = x.shape.map((_, i) => i);
    perm[x.rank - 1] = x.rank - 2;
    perm[x.rank - 2] = x.rank - 1;
    return this.transpose(x, perm);
  }

  /**
   * Gemm: alpha * op(a) @ op(b) + beta * c, a and b 2-D, c broadcast to [M,N].
   * d/da = alpha*gy@op(b)^T (transposed back if transA), d/db likewise, d/dc = beta*gy summed to c.
   */
  gemm(
    a: Value,
    b: Value,
    c: Value | null,
    o: { alpha?: number; beta?: number; transA?: boolean; transB?: boolean } = {},
  ): Value {
    const op = 'Gemm';
    const alpha = o.alpha ?? 1;
    const beta = o.beta ?? 1;
    const tA = !!o.transA;
    const tB = !!o.transB;
    if (a.rank !== 2 || b.rank !== 2) throw new GraphError(op, `a and b must be 2-D: ${fmt(a.shape)}, ${fmt(b.shape)}`);
    if (a.dtype !== b.dtype || (c && c.dtype !== a.dtype)) throw new GraphError(op, `dtypes differ: ${a}, ${b}, ${c}`);
    const [M, K1] = tA ? [a.shape[1]!, a.shape[0]!] : [a.shape[0]!, a.shape[1]!];
    const [K2, N] = tB ? [b.shape[1]!, b.shape[0]!] : [b.shape[0]!, b.shape[1]!];
    if (K1 !== K2 && typeof K1 === typeof K2) {
      throw new GraphError(op, `inner dims differ: op(a) [${M},${K1}] @ op(b) [${K2},${N}]`);
    }
    if (c) broadcast(c.shape, [M, N], op);
    const attrs: Record<string, Attr> = {
      alpha: { f: alpha },
      beta: { f: beta },
      transA: { i: tA ? 1 : 0 },
      transB: { i: tB ? 1 : 0 },
    };
    return this.emit1(op, c ? [a, b, c] : [a, b], attrs, a.dtype, [M, N], (gy, needs) => {
      // y = alpha * A' B' with A' = op(a), B' = op(b):  dA' = alpha gy B'^T,  dB' = alpha A'^T gy
      const ga = needs[0]
        ? tA
          ? this.gemm(b, gy, null, { alpha, transA: tB, transB: true }) // da = (dA')^T = alpha B' gy^T
          : this.gemm(gy, b, null, { alpha, transB: !tB })
        : null;
      const gb = needs[1]
        ? tB
          ? this.gemm(gy, a, null, { alpha, transA: true, transB: tA }) // db = (dB')^T = alpha gy^T A'
          : this.gemm(a, gy, null, { alpha, transA: !tA })
        : null;
      const gc = c && needs[2] ? this.sumTo(beta === 1 ? gy : this.mul(gy, beta), c.shape) : null;
      return [ga, gb, gc];
    });
  }

  // ---------------------------------------------------------------- reductions

  private reduceAxes(x: Value, axes: number | readonly number[], op: string): number[] {
    const list = typeof axes === 'number' ? [axes] : [...axes];
    const norm = list.map((a) => normAxis(a, x.rank, op)).sort((p, q) => p - q);
    if (new Set(norm).size !== norm.length) throw new GraphError(op, `repeated axis in ${JSON.stringify(list)}`);
    if (norm.length === 0) throw new GraphError(op, 'needs at least one axis');
    return norm;
  }

  private reduced(x: Value, axes: number[], keepdims: boolean): Dim[] {
    return keepdims ? x.shape.map((d, i) => (axes.includes(i) ? 1 : d)) : x.shape.filter((_, i) => !axes.includes(i));
  }

  private reduce(
    op: string,
    x: Value,
    axes: number | readonly number[],
    keepdims: boolean,
    grad?: (gyKeep: Value, yKeep: () => Value) => Value,
  ) {
    this.own(x, op);
    const ax = this.reduceAxes(x, axes, op);
    const y: Value = this.emit1(
      op,
      [x, this.ints(ax)],
      { keepdims: { i: keepdims ? 1 : 0 } },
      x.dtype,
      this.reduced(x, ax, keepdims),
      grad
        ? (gy) => {
            const gk = keepdims ? gy : this.unsqueeze(gy, ax);
            const yk = () => (keepdims ? y : this.unsqueeze(y, ax));
            return [grad(gk, yk), null];
          }
        : undefined,
    );
    return y;
  }

  /** Broadcast a keepdims-shaped value to x's shape. */
  expandLike(v: Value, x: Value): Value {
    return this.emit1('Expand', [v, this.shapeOf(x)], {}, v.dtype, x.shape, (gy) => [this.sumTo(gy, v.shape), null]);
  }

  /** Sum over axes. d/dx = gy broadcast back to x's shape. */
  reduceSum(x: Value, axes: number | readonly number[], keepdims = false): Value {
    return this.reduce('ReduceSum', x, axes, keepdims, (gk) => this.expandLike(gk, x));
  }
  /** Mean over axes. d/dx = gy / count broadcast back. */
  reduceMean(x: Value, axes: number | readonly number[], keepdims = false): Value {
    const ax = this.reduceAxes(x, axes, 'ReduceMean');
    return this.reduce('ReduceMean', x, ax, keepdims, (gk) => this.expandLike(this.div(gk, this.countOf(x, ax)), x));
  }
  /** Max over axes. d/dx = gy at the maxima (split evenly between ties). */
  reduceMax(x: Value, axes: number | readonly number[], keepdims = false): Value {
    const ax = this.reduceAxes(x, axes, 'ReduceMax');
    return this.reduce('ReduceMax', x, ax, keepdims, (gk, yk) => {
      const mask = this.cast(this.equal(x, yk()), x.dtype);
      return this.mul(this.div(gk, this.reduceSum(mask, ax, true)), mask);
    });
  }
  /** sqrt(sum x^2) over axes. d/dx = gy * x / y (0 where y = 0, as PyTorch's norm). */
  reduceL2(x: Value, axes: number | readonly number[], keepdims = false): Value {
    return this.reduce('ReduceL2', x, axes, keepdims, (gk, yk) => {
      const y = yk();
      return this.mul(this.div(gk, this.where(this.equal(y, 0), 1, y)), x);
    });
  }

  // ---------------------------------------------------------------- softmax

  /**
   * Softmax over one axis (ONNX Softmax) or several axes jointly (composed, e.g. Soft-MoE's experts x slots).
   * d/dx = y * (gy - sum(gy*y, axes)).
   */
  softmax(x: Value, axes: number | readonly number[] = -1): Value {
    const ax = this.reduceAxes(x, axes, 'Softmax');
    const grad: GradFn = ([gy]) => [this.mul(y, this.sub(gy!, this.reduceSum(this.mul(gy!, y), ax, true)))];
    let y!: Value;
    if (ax.length === 1) {
      y = this.emit1('Softmax', [x], { axis: { i: ax[0]! } }, x.dtype, x.shape, (gy) => grad([gy], [true]));
      return y;
    }
    y = this.composite(
      'Softmax',
      [x],
      () => {
        const e = this.exp(this.sub(x, this.reduceMax(x, ax, true)));
        return [this.div(e, this.reduceSum(e, ax, true))];
      },
      grad,
    )[0]!;
    return y;
  }

  /** log(softmax(x)) over one axis. d/dx = gy - exp(y) * sum(gy, axis). */
  logSoftmax(x: Value, axis = -1): Value {
    const a = normAxis(axis, x.rank, 'LogSoftmax');
    const y: Value = this.emit1('LogSoftmax', [x], { axis: { i: a } }, x.dtype, x.shape, (gy) => [
      this.sub(gy, this.mul(this.exp(y), this.reduceSum(gy, a, true))),
    ]);
    return y;
  }

  // ---------------------------------------------------------------- indexing

  /**
   * Gather along `axis` (embedding lookup with axis 0). For axis 0, d/ddata = ScatterND(zeros, idx, gy,
   * reduction=add): rows used several times accumulate.
   */
  gather(data: Value, indices: Value, axis = 0): Value {
    const op = 'Gather';
    if (indices.dtype !== 'int64' && indices.dtype !== 'int32')
      throw new GraphError(op, `indices must be int64/int32, got ${indices}`);
    const a = normAxis(axis, data.rank, op);
    const shape = [...data.shape.slice(0, a), ...indices.shape, ...data.shape.slice(a + 1)];
    return this.emit1(op, [data, indices], { axis: { i: a } }, data.dtype, shape, (gy, needs) => {
      if (!needs[0]) return [null, null];
      if (a !== 0) throw new GraphError(op, `gradient is implemented for axis 0 only (got axis ${a})`);
      const idx = this.unsqueeze(indices.dtype === 'int64' ? indices : this.cast(indices, 'int64'), [indices.rank]);
      return [this.scatterND(this.zerosLike(data), idx, gy, 'add'), null];
    });
  }

  /** out[...i...] = data[...indices[...i...]...] along axis. d/ddata = ScatterElements(zeros, idx, gy, add). */
  gatherElements(data: Value, indices: Value, axis: number): Value {
    const op = 'GatherElements';
    const a = normAxis(axis, data.rank, op);
    if (indices.rank !== data.rank) throw new GraphError(op, `indices rank ${indices.rank} != data rank ${data.rank}`);
    return this.emit1(op, [data, indices], { axis: { i: a } }, data.dtype, indices.shape, (gy, needs) => [
      needs[0] ? this.scatterElements(this.zerosLike(data), indices, gy, a, 'add') : null,
      null,
    ]);
  }

  /** ScatterND (no gradient rule: used by gradients). */
  scatterND(data: Value, indices: Value, updates: Value, reduction: 'none' | 'add' = 'none'): Value {
    return this.emit1('ScatterND', [data, indices, updates], { reduction: { s: reduction } }, data.dtype, data.shape);
  }

  /** ScatterElements (no gradient rule: used by gradients). */
  scatterElements(
    data: Value,
    indices: Value,
    updates: Value,
    axis: number,
    reduction: 'none' | 'add' = 'none',
  ): Value {
    const a = normAxis(axis, data.rank, 'ScatterElements');
    return this.emit1(
      'ScatterElements',
      [data, indices, updates],
      { axis: { i: a }, reduction: { s: reduction } },
      data.dtype,
      data.shape,
    );
  }

  // ---------------------------------------------------------------- shape ops

  /**
   * Reshape. Target dims: numbers (0 copies the input dim, -1 is inferred) or names, read at run time from
   * the graph input that declared them; or a runtime int64 shape Value with the result shape given.
   * d/dx = reshape(gy, shape(x)).
   */
  reshape(x: Value, target: readonly Dim[] | Value, resultShape?: readonly Dim[]): Value {
    const op = 'Reshape';
    this.own(x, op);
    let shapeT: Value;
    let out: Dim[];
    if (target instanceof Value) {
      if (!resultShape) throw new GraphError(op, 'a runtime shape Value needs resultShape');
      shapeT = target;
      out = [...resultShape];
    } else {
      out = this.inferReshape(x, target);
      // Names that sit at the same axis as in x become 0 (copy); other names are read at run time.
      const spec: Dim[] = target.map((d, i) => (typeof d === 'string' && x.shape[i] === d ? 0 : d));
      if (spec.every((d) => typeof d === 'number')) shapeT = this.ints(spec as number[]);
      else {
        const parts = spec.map((d, i) =>
          typeof d === 'number' ? this.ints([d]) : this.dimSources.has(d) ? this.dim(d) : this.failDim(x, target, i),
        );
        shapeT = this.emit1('Concat', parts, { axis: { i: 0 } }, 'int64', [spec.length]);
      }
    }
    return this.emit1(op, [x, shapeT], {}, x.dtype, out, (gy) => [this.reshape(gy, this.shapeOf(x), x.shape), null]);
  }

  private failDim(x: Value, target: readonly Dim[], i: number): never {
    throw new GraphError(
      'Reshape',
      `${fmt(x.shape)} -> ${fmt(target)}: dim '${target[i]}' is neither at axis ${i} of the input nor a dim of a graph input`,
    );
  }

  private inferReshape(x: Value, target: readonly Dim[]): Dim[] {
    const op = 'Reshape';
    const where = `${fmt(x.shape)} -> ${fmt(target)}`;
    const out: Dim[] = target.map((d, i) => {
      if (d === 0) {
        if (i >= x.rank) throw new GraphError(op, `${where}: 0 at axis ${i} copies a dim the input does not have`);
        return x.shape[i]!;
      }
      if (typeof d === 'number' && (d < -1 || !Number.isInteger(d))) throw new GraphError(op, `${where}: bad dim ${d}`);
      return d;
    });
    const minus = out.flatMap((d, i) => (d === -1 ? [i] : []));
    if (minus.length > 1) throw new GraphError(op, `${where}: at most one -1`);
    const total = sizeOf(x.shape);
    if (minus.length === 1) {
      const rest = sizeOf(out.filter((d) => d !== -1));
      const q = divideSize(total, rest);
      if (q === undefined) {
        if ((rest.names.length === 0 && total.names.length === 0) || rest.n === 0 || total.n % rest.n !== 0) {
          throw new GraphError(op, `${where}: ${total.n} elements do not divide into ${rest.n}`);
        }
        if (rest.names.some((nm) => !total.names.includes(nm))) {
          throw new GraphError(
            op,
            `${where}: cannot infer -1 (target names ${rest.names.join(',')} are not all in the input)`,
          );
        }
        // Not a single dim: name the product (e.g. 'batch*seq') so later shapes still compare.
        const names = [...total.names];
        for (const nm of rest.names) names.splice(names.indexOf(nm), 1);
        const n = total.n / rest.n;
        out[minus[0]!] = [...(n === 1 ? [] : [String(n)]), ...names].join('*');
      } else out[minus[0]!] = q;
    } else {
      const s = sizeOf(out);
      if (!sameSize(total, s) && total.names.length === 0 && s.names.length === 0) {
        throw new GraphError(op, `${where}: ${total.n} elements cannot become ${s.n}`);
      }
    }
    return out;
  }

  /** Permute axes (default: reverse). d/dx = transpose(gy, inverse perm). */
  transpose(x: Value, perm?: readonly number[]): Value {
    const op = 'Transpose';
    const p = perm ? [...perm] : x.shape.map((_, i) => x.rank - 1 - i);
    if (p.length !== x.rank || [...p].sort((a, b) => a - b).some((v, i) => v !== i)) {
      throw new GraphError(
        op,
        `perm ${JSON.stringify(perm)} is not a permutation of 0..${x.rank - 1} for ${fmt(x.shape)}`,
      );
    }
    const inv = p.map((_, i) => p.indexOf(i));
    return this.emit1(
      op,
      [x],
      { perm: { ints: p } },
      x.dtype,
      p.map((i) => x.shape[i]!),
      (gy) => [this.transpose(gy, inv)],
    );
  }

  /** Concatenate along axis. d/dxi = slice of gy. */
  concat(xs: readonly Value[], axis: number): Value {
    const op = 'Concat';
    if (xs.length === 0) throw new GraphError(op, 'needs at least one input');
    const x0 = xs[0]!;
    const a = normAxis(axis, x0.rank, op);
    for (const x of xs) {
      if (x.rank !== x0.rank || x.dtype !== x0.dtype || x.shape.some((d, i) => i !== a && d !== x0.shape[i])) {
        throw new GraphError(op, `inputs must agree except on axis ${a}: ${xs.map((v) => v.toString()).join(', ')}`);
      }
    }
    const ds = xs.map((x) => x.shape[a]!);
    const numeric = ds.filter((d): d is number => typeof d === 'number').reduce((p, q) => p + q, 0);
    const names = ds.filter((d) => typeof d === 'string');
    const total: Dim = names.length === 0 ? numeric : [...names, ...(numeric ? [String(numeric)] : [])].join('+');
    const shape = x0.shape.map((d, i) => (i === a ? total : d));
    return this.emit1(op, [...xs], { axis: { i: a } }, x0.dtype, shape, (gy, needs) => {
      let start: Value | number = 0;
      return xs.map((x, i) => {
        const size = x.shape[a]!;
        const begin = start;
        start =
          typeof begin === 'number' && typeof size === 'number' ? begin + size : this.addInt(begin, this.dimOf(x, a));
        if (!needs[i]) return null;
        if (typeof begin === 'number' && typeof start === 'number') return this.slice(gy, [begin], [start], [a]);
        return this.sliceDyn(gy, begin, start as Value, a, x.shape);
      });
    });
  }

  private addInt(a: Value | number, b: Value): Value {
    return this.emit1('Add', [typeof a === 'number' ? this.ints([a]) : a, b], {}, 'int64', [1]);
  }

  private sliceDyn(x: Value, start: Value | number, end: Value, axis: number, shape: readonly Dim[]): Value {
    const s = typeof start === 'number' ? this.ints([start]) : start;
    return this.emit1('Slice', [x, s, end, this.ints([axis])], {}, x.dtype, shape);
  }

  /** Split along axis into static sizes. d/dx = concat of the output grads (zeros where none). */
  split(x: Value, axis: number, sizes: readonly number[]): Value[] {
    const op = 'Split';
    const a = normAxis(axis, x.rank, op);
    const d = x.shape[a]!;
    const sum = sizes.reduce((p, q) => p + q, 0);
    if (typeof d === 'number' && sum !== d)
      throw new GraphError(op, `sizes ${JSON.stringify(sizes)} sum to ${sum}, axis ${a} of ${fmt(x.shape)} is ${d}`);
    const outs = sizes.map((s) => ({ dtype: x.dtype, shape: x.shape.map((v, i) => (i === a ? s : v)) }));
    const ys = this.emit(op, [x, this.ints(sizes)], { axis: { i: a } }, outs, (gys) => [
      this.concat(
        gys.map((g, i) => g ?? this.zerosLike(ys[i]!)),
        a,
      ),
      null,
    ]);
    return ys;
  }

  /**
   * Slice with static starts/ends/axes (steps 1 by default). Negative indices count from the end; ends beyond
   * the dim clamp. d/dx = gy padded with zeros back to x's shape (steps of 1 only).
   */
  slice(
    x: Value,
    starts: readonly number[],
    ends: readonly number[],
    axes?: readonly number[],
    steps?: readonly number[],
  ): Value {
    const op = 'Slice';
    const ax = (axes ?? starts.map((_, i) => i)).map((a) => normAxis(a, x.rank, op));
    const st = steps ?? starts.map(() => 1);
    if (starts.length !== ends.length || ax.length !== starts.length || st.length !== starts.length) {
      throw new GraphError(op, 'starts, ends, axes and steps must have the same length');
    }
    const shape = [...x.shape];
    ax.forEach((a, i) => {
      shape[a] = sliceDim(x.shape[a]!, starts[i]!, ends[i]!, st[i]!, op);
    });
    const ends64 = ends.map((e) => Math.min(e, INT64_MAX));
    const inputs = [x, this.ints(starts), this.ints(ends64), this.ints(ax), ...(steps ? [this.ints(st)] : [])];
    const y: Value = this.emit1(op, inputs, {}, x.dtype, shape, (gy) => {
      if (st.some((s) => s !== 1)) throw new GraphError(op, 'gradient is implemented for steps of 1 only');
      // pads: before = normalized start, after = dim - before - out
      const before: Value[] = [];
      const after: Value[] = [];
      ax.forEach((a, i) => {
        const s = starts[i]!;
        const dim = x.shape[a]!;
        const b =
          s >= 0
            ? this.ints([s])
            : typeof dim === 'number'
              ? this.ints([Math.max(0, dim + s)])
              : this.addInt(s, this.dimOf(x, a));
        before.push(b);
        const rest = this.emit1('Sub', [this.dimOf(x, a), this.dimOf(y, a)], {}, 'int64', [1]);
        after.push(this.emit1('Sub', [rest, b], {}, 'int64', [1]));
      });
      const pads = this.emit1('Concat', [...before, ...after], { axis: { i: 0 } }, 'int64', [2 * ax.length]);
      const gx = this.emit1(
        'Pad',
        [gy, pads, this.scalar(0, gy.dtype), this.ints(ax)],
        { mode: { s: 'constant' } },
        gy.dtype,
        x.shape,
      );
      return [gx, ...inputs.slice(1).map(() => null)];
    });
    return y;
  }

  /** Insert size-1 axes (positions in the output). d/dx = reshape(gy, shape(x)). */
  unsqueeze(x: Value, axes: readonly number[]): Value {
    const op = 'Unsqueeze';
    const r = x.rank + axes.length;
    const ax = axes.map((a) => normAxis(a, r, op)).sort((p, q) => p - q);
    const shape: Dim[] = [];
    let j = 0;
    for (let i = 0; i < r; i++) shape.push(ax.includes(i) ? 1 : x.shape[j++]!);
    return this.emit1(op, [x, this.ints(ax)], {}, x.dtype, shape, (gy) => [
      this.reshape(gy, this.shapeOf(x), x.shape),
      null,
    ]);
  }

  /** Remove size-1 axes. d/dx = reshape(gy, shape(x)). */
  squeeze(x: Value, axes: readonly number[]): Value {
    const op = 'Squeeze';
    const ax = axes.map((a) => normAxis(a, x.rank, op));
    for (const a of ax) {
      if (x.shape[a] !== 1) throw new GraphError(op, `axis ${a} of ${fmt(x.shape)} is ${x.shape[a]}, not 1`);
    }
    const shape = x.shape.filter((_, i) => !ax.includes(i));
    return this.emit1(op, [x, this.ints(ax)], {}, x.dtype, shape, (gy) => [
      this.reshape(gy, this.shapeOf(x), x.shape),
      null,
    ]);
  }

  /** Broadcast to a shape (numbers and names). d/dx = gy summed back to x's shape. */
  expand(x: Value, shape: readonly Dim[]): Value {
    const out = broadcast(x.shape, shape, 'Expand');
    return this.emit1('Expand', [x, this.shapeTensor(shape)], {}, x.dtype, out, (gy) => [
      this.sumTo(gy, x.shape),
      null,
    ]);
  }

  /** Keep the upper (or lower) triangle of the last two axes, offset k. d/dx = trilu(gy). */
  trilu(x: Value, upper: boolean, k = 0): Value {
    return this.emit1('Trilu', [x, this.ints([k])], { upper: { i: upper ? 1 : 0 } }, x.dtype, x.shape, (gy) => [
      this.trilu(gy, upper, k),
      null,
    ]);
  }

  /** A tensor of `shape` (an int64 shape Value) filled with `value`. */
  constantOfShape(shape: Value, value: number, dtype: DType, resultShape: readonly Dim[]): Value {
    const t: Initializer = { name: 'value', dtype, dims: [1], data: encodeNumbers([value], dtype) };
    return this.emit1('ConstantOfShape', [shape], { value: { t } }, dtype, resultShape);
  }

  /** 0..n-1 along a (possibly named) dim as int64 [n] or float. */
  range(n: Dim, dtype: DType = 'int64'): Value {
    const limit = typeof n === 'number' ? this.scalar(n, dtype) : this.reshape(this.cast(this.dim(n), dtype), [], []);
    return this.emit1('Range', [this.scalar(0, dtype), limit, this.scalar(1, dtype)], {}, dtype, [n]);
  }
}

const ONNX_CODE: Record<DType, number> = {
  float32: 1,
  uint8: 2,
  int32: 6,
  int64: 7,
  bool: 9,
  float16: 10,
  float64: 11,
};

function sliceDim(d: Dim, start: number, end: number, step: number, op: string): Dim {
  if (step === 0) throw new GraphError(op, 'step 0');
  if (typeof d === 'number') {
    const norm = (v: number, lo: number, hi: number) => Math.min(Math.max(v < 0 ? v + d : v, lo), hi);
    if (step > 0) {
      const s = norm(start, 0, d);
      const e = norm(end, 0, d);
      return Math.max(0, Math.ceil((e - s) / step));
    }
    const s = norm(start, -1, d - 1);
    const e = norm(end, -1, d - 1);
    return Math.max(0, Math.ceil((e - s) / step));
  }
  if (step !== 1) return `${d}:slice`;
  if (start >= 0 && end >= 0 && end < INT64_MAX) return end - start;
  if (start >= 0 && end >= INT64_MAX) return start === 0 ? d : `${d}-${start}`;
  if (start < 0 && end >= INT64_MAX) return -start;
  return `${d}[${start}:${end}]`;
}

export { BYTES_PER_ELEMENT };
