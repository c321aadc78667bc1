// ONNX ModelProto from a Graph: dead nodes dropped, initializers as raw bytes, deterministic bytes,
// and external data files for models whose weights exceed protobuf's 2 GB limit.

import { closeSync, mkdirSync, openSync, writeFileSync, writeSync } from 'node:fs';
import { basename, dirname, join } from 'node:path';
import onnxProto from 'onnx-proto';
import { ONNX_DTYPE } from './dtype.js';
import { type Attr, type Graph, type Initializer, type OnnxNode, OPSET, type Value } from './graph.js';
import { GraphError } from './shape.js';

const { onnx } = onnxProto;
export type ModelProto = onnxProto.onnx.ModelProto;

export interface ToModelOptions {
  /** 'inputs' (default): parameters are graph inputs fed each run; 'initializers': baked from `init`. */
  paramsAs?: 'inputs' | 'initializers';
  /** Tensors bigger than this many bytes are written to an external data file (see saveModel). */
  externalThreshold?: number;
  /** File name of the external data, relative to the model (default `<model>.data`). */
  externalFile?: string;
  docString?: string;
}

export interface ExternalChunk {
  offset: number;
  data: Uint8Array;
}

/** The ONNX model plus the external data chunks (empty unless externalThreshold moved weights out). */
export interface BuiltModel {
  model: ModelProto;
  externalFile: string;
  external: ExternalChunk[];
  externalBytes: number;
}

const AT = onnx.AttributeProto.AttributeType;

function attrProto(name: string, a: Attr): onnxProto.onnx.IAttributeProto {
  if ('i' in a) return { name, type: AT.INT, i: a.i };
  if ('f' in a) return { name, type: AT.FLOAT, f: a.f };
  if ('s' in a) return { name, type: AT.STRING, s: new TextEncoder().encode(a.s) };
  if ('ints' in a) return { name, type: AT.INTS, ints: a.ints };
  if ('floats' in a) return { name, type: AT.FLOATS, floats: a.floats };
  return { name, type: AT.TENSOR, t: tensorProto(a.t) };
}

function tensorProto(t: Initializer): onnxProto.onnx.ITensorProto {
  return { name: t.name, dataType: ONNX_DTYPE[t.dtype], dims: t.dims, rawData: t.data };
}

function valueInfo(name: string, v: Value): onnxProto.onnx.IValueInfoProto {
  return {
    name,
    type: {
      tensorType: {
        elemType: ONNX_DTYPE[v.dtype],
        shape: { dim: v.shape.map((d) => (typeof d === 'number' ? { dimValue: d } : { dimParam: d })) },
      },
    },
  };
}

/** Nodes needed to compute the outputs, in build (= topological) order. */
export function liveNodes(g: Graph): OnnxNode[] {
  const producer = new Map<string, number>();
  g.nodes.forEach((n, i) => {
    for (const o of n.outputs) producer.set(o, i);
  });
  const live = new Uint8Array(g.nodes.length);
  const stack = g.outputs.map((o) => o.value.name);
  while (stack.length) {
    const i = producer.get(stack.pop()!);
    if (i === undefined || live[i]) continue;
    live[i] = 1;
    for (const x of g.nodes[i]!.inputs) if (x) stack.push(x);
  }
  return g.nodes.filter((_, i) => live[i]);
}

/** Build the ModelProto (same graph and options -> same bytes). */
export function toModel(g: Graph, opts: ToModelOptions = {}): BuiltModel {
  if (g.outputs.length === 0) throw new GraphError('toModel', 'the graph has no outputs (call g.output(value))');
  const nodes = liveNodes(g);
  const used = new Set<string>();
  for (const n of nodes) for (const x of n.inputs) used.add(x);
  for (const o of g.outputs) used.add(o.value.name);

  const bake = opts.paramsAs === 'initializers';
  const inits: Initializer[] = g.initializers.filter((i) => used.has(i.name));
  const inputs: Value[] = [...g.inputs];
  for (const p of g.params) {
    if (bake) {
      if (!p.init)
        throw new GraphError('toModel', `param '${p.value.name}' has no init; cannot bake it as an initializer`);
      if (used.has(p.value.name)) {
        const i = p.init;
        inits.push({
          name: p.value.name,
          dtype: p.value.dtype,
          dims: p.value.shape as number[],
          data: new Uint8Array(i.buffer, i.byteOffset, i.byteLength),
        });
      }
    } else inputs.push(p.value);
  }

  const threshold = opts.externalThreshold ?? Number.POSITIVE_INFINITY;
  const externalFile = opts.externalFile ?? 'model.onnx.data';
  const external: ExternalChunk[] = [];
  let offset = 0;
  const initializer = inits.map((t) => {
    const proto = tensorProto(t);
    if (t.data.byteLength > threshold) {
      offset = Math.ceil(offset / 4096) * 4096; // page-aligned so ORT can mmap
      external.push({ offset, data: t.data });
      proto.rawData = null;
      proto.dataLocation = onnx.TensorProto.DataLocation.EXTERNAL;
      proto.externalData = [
        { key: 'location', value: externalFile },
        { key: 'offset', value: String(offset) },
        { key: 'length', value: String(t.data.byteLength) },
      ];
      offset += t.data.byteLength;
    }
    return proto;
  });

  const model = onnx.ModelProto.create({
    irVersion: 10,
    producerName: '@steel/graph',
    producerVersion: '0.1.0',
    opsetImport: [{ domain: '', version: OPSET }],
    docString: opts.docString ?? '',
    graph: {
      name: g.name,
      node: nodes.map((n) => ({
        name: n.name,
        opType: n.opType,
        domain: '',
        input: n.inputs,
        output: n.outputs,
        attribute: Object.entries(n.attrs).map(([k, a]) => attrProto(k, a)),
      })),
      input: inputs.map((v) => valueInfo(v.name, v)),
      output: g.outputs.map((o) => valueInfo(o.name, o.value)),
      initializer,
    },
  });
  return { model, externalFile, external, externalBytes: offset };
}

/** Serialized model bytes. Throws if the weights need external data (use saveModel or externalThreshold). */
export function serialize(g: Graph, opts: ToModelOptions = {}): Uint8Array {
  const built = toModel(g, opts);
  if (built.external.length) throw new GraphError('serialize', 'the model has external data: use saveModel()');
  const bytes = onnx.ModelProto.encode(built.model).finish();
  if (bytes.byteLength > 2 ** 31 - 1) {
    throw new GraphError(
      'serialize',
      `model is ${bytes.byteLength} bytes (> 2 GB): pass externalThreshold and use saveModel()`,
    );
  }
  return bytes;
}

/** External data as one buffer (offsets as in the model), e.g. for ORT's `externalData` session option. */
export function externalBuffer(built: BuiltModel): Uint8Array {
  const buf = new Uint8Array(built.externalBytes);
  for (const c of built.external) buf.set(c.data, c.offset);
  return buf;
}

/**
 * Write `<path>` and, if weights exceed `externalThreshold` (default 1 MB when the model would pass 2 GB,
 * otherwise never), `<path>.data` beside it.
 */
export function saveModel(
  g: Graph,
  path: string,
  opts: ToModelOptions = {},
): { modelBytes: number; dataBytes: number } {
  const total =
    g.initializers.reduce((a, i) => a + i.data.byteLength, 0) +
    (opts.paramsAs === 'initializers' ? g.params.reduce((a, p) => a + (p.init?.byteLength ?? 0), 0) : 0);
  const threshold = opts.externalThreshold ?? (total > 1.9 * 2 ** 30 ? 2 ** 20 : Number.POSITIVE_INFINITY);
  const built = toModel(g, {
    ...opts,
    externalThreshold: threshold,
    externalFile: opts.externalFile ?? `${basename(path)}.data`,
  });
  mkdirSync(dirname(path), { recursive: true });
  const bytes = onnx.ModelProto.encode(built.model).finish();
  writeFileSync(path, bytes);
  if (built.external.length) {
    // chunk by chunk: the data file may be larger than one JS buffer should be
    const fd = openSync(join(dirname(path), built.externalFile), 'w');
    try {
      for (const c of built.external) writeSync(fd, c.data, 0, c.data.byteLength, c.offset);
    } finally {
      closeSync(fd);
    }
  }
  return { modelBytes: bytes.byteLength, dataBytes: built.externalBytes };
}

export function encodeModel(model: ModelProto): Uint8Array {
  return onnx.ModelProto.encode(model).finish();
}
