// Static shapes with symbolic dims: a dim is a number or a name ('batch', 'seq').

export type Dim = number | string;
export type Shape = readonly Dim[];

export class GraphError extends Error {
  constructor(op: string, message: string) {
    super(`${op}: ${message}`);
    this.name = 'GraphError';
  }
}

export function fmt(s: Shape): string {
  return `[${s.join(',')}]`;
}

export function normAxis(axis: number, rank: number, op: string): number {
  const a = axis < 0 ? axis + rank : axis;
  if (!Number.isInteger(a) || a < 0 || a >= rank) {
    throw new GraphError(op, `axis ${axis} is out of range for rank ${rank} (allowed ${-rank}..${rank - 1})`);
  }
  return a;
}

/** Numpy broadcasting of two shapes; a name and a number > 1 meet as the number (the name is assumed equal). */
export function broadcast(a: Shape, b: Shape, op: string): Dim[] {
  const n = Math.max(a.length, b.length);
  const out: Dim[] = [];
  for (let i = 0; i < n; i++) {
    const x = a[a.length - n + i] ?? 1;
    const y = b[b.length - n + i] ?? 1;
    if (x === y || y === 1) out.push(x);
    else if (x === 1) out.push(y);
    else if (typeof x === 'number' && typeof y === 'number') {
      throw new GraphError(op, `shapes ${fmt(a)} and ${fmt(b)} do not broadcast (dim ${i - n}: ${x} vs ${y})`);
    } else if (typeof x === 'string' && typeof y === 'string') {
      throw new GraphError(op, `shapes ${fmt(a)} and ${fmt(b)} do not broadcast (dim ${i - n}: '${x}' vs '${y}')`);
    } else out.push(typeof x === 'number' ? x : y);
  }
  return out;
}

/**
 * Axes of `out` that a value of shape `s` was broadcast along: the leading axes it lacks, and the
 * axes where it has 1 and `out` does not. Summing a gradient over these gives back shape `s`.
 */
export function broadcastAxes(s: Shape, out: Shape): { lead: number[]; ones: number[] } {
  const lead: number[] = [];
  const ones: number[] = [];
  const k = out.length - s.length;
  for (let i = 0; i < k; i++) lead.push(i);
  for (let i = 0; i < s.length; i++) if (s[i] === 1 && out[k + i] !== 1) ones.push(i);
  return { lead, ones };
}

/** Product of dims as a number times sorted names: lets reshape infer -1 with symbolic dims. */
export interface Size {
  n: number;
  names: string[];
}

export function sizeOf(s: Shape): Size {
  let n = 1;
  const names: string[] = [];
  for (const d of s) {
    if (typeof d === 'number') n *= d;
    else names.push(d);
  }
  return { n, names: names.sort() };
}

/** a / b if it is a single dim (a number or one name), else undefined. */
export function divideSize(a: Size, b: Size): Dim | undefined {
  const names = [...a.names];
  for (const nm of b.names) {
    const i = names.indexOf(nm);
    if (i < 0) return undefined;
    names.splice(i, 1);
  }
  if (b.n === 0 || a.n % b.n !== 0) return undefined;
  const n = a.n / b.n;
  if (names.length === 0) return n;
  if (names.length === 1 && n === 1) return names[0]!;
  return undefined;
}

export function sameSize(a: Size, b: Size): boolean {
  return a.n === b.n && a.names.join('\u0000') === b.names.join('\u0000');
}

export function isStatic(s: Shape): s is number[] {
  return s.every((d) => typeof d === 'number');
}
