// The ONNX checker rules that can be checked in TypeScript: opset, names (SSA), topological order,
// graph outputs produced, initializer sizes, attribute sanity. Returns every problem found.

import onnxProto from 'onnx-proto';
import { BYTES_PER_ELEMENT, type DType, ONNX_DTYPE } from './dtype.js';

const { onnx } = onnxProto;

/** Highest default-domain opset onnxruntime-node 1.30 accepts. */
export const MAX_ORT_OPSET = 26;

const BYTES_BY_CODE = new Map<number, number>(
  (Object.keys(ONNX_DTYPE) as DType[]).map((d) => [ONNX_DTYPE[d], BYTES_PER_ELEMENT[d]]),
);

export function validateModel(model: onnxProto.onnx.IModelProto | Uint8Array): string[] {
  const m = model instanceof Uint8Array ? onnx.ModelProto.decode(model) : model;
  const problems: string[] = [];
  const opset = (m.opsetImport ?? []).find((o) => !o.domain)?.version;
  if (opset === undefined || opset === null) problems.push('no default-domain opset import');
  else {
    const v = Number(opset);
    if (v < 18) problems.push(`opset ${v} < 18: Reduce* ops need axes as inputs (opset 18+)`);
    if (v > MAX_ORT_OPSET) problems.push(`opset ${v} > ${MAX_ORT_OPSET}, the highest onnxruntime-node 1.30 accepts`);
  }
  for (const o of m.opsetImport ?? []) {
    if (o.domain) problems.push(`opset import for domain '${o.domain}': only standard ONNX ops are emitted`);
  }
  const g = m.graph;
  if (!g) return [...problems, 'model has no graph'];
  const defined = new Set<string>();
  const define = (name: string, what: string) => {
    if (!name) problems.push(`${what} has an empty name`);
    else if (defined.has(name)) problems.push(`${what} '${name}' is defined more than once`);
    defined.add(name);
  };
  for (const i of g.input ?? []) define(i.name ?? '', 'graph input');
  for (const t of g.initializer ?? []) {
    define(t.name ?? '', 'initializer');
    const n = (t.dims ?? []).reduce<number>((a, d) => a * Number(d), 1);
    const size = BYTES_BY_CODE.get(t.dataType ?? 0);
    if (size === undefined) problems.push(`initializer '${t.name}' has unsupported data type ${t.dataType}`);
    else if (t.dataLocation !== onnx.TensorProto.DataLocation.EXTERNAL && (t.rawData?.length ?? 0) !== n * size) {
      problems.push(`initializer '${t.name}' has ${t.rawData?.length ?? 0} raw bytes, dims need ${n * size}`);
    }
  }
  const nodeNames = new Set<string>();
  (g.node ?? []).forEach((n, k) => {
    const where = `node ${k} (${n.opType} '${n.name}')`;
    if (!n.opType) problems.push(`node ${k} has no opType`);
    if (n.domain) problems.push(`${where} is in domain '${n.domain}'`);
    if (n.name) {
      if (nodeNames.has(n.name)) problems.push(`${where}: node name repeated`);
      nodeNames.add(n.name);
    }
    for (const x of n.input ?? []) {
      if (x && !defined.has(x))
        problems.push(`${where} reads '${x}' before it is defined (not topologically sorted or missing)`);
    }
    for (const a of n.attribute ?? []) if (!a.name) problems.push(`${where} has an attribute without a name`);
    for (const y of n.output ?? []) define(y, `output of ${where}`);
  });
  for (const o of g.output ?? []) {
    if (!defined.has(o.name ?? '')) problems.push(`graph output '${o.name}' is never produced`);
  }
  return problems;
}

/** Throw with every problem listed when the model breaks a checker rule. */
export function assertValidModel(model: onnxProto.onnx.IModelProto | Uint8Array): void {
  const p = validateModel(model);
  if (p.length) throw new Error(`invalid ONNX model:\n  ${p.join('\n  ')}`);
}
