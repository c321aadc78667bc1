import { Filter } from '../op.js';
import type { ParamSpec, ParamValues } from '../params.js';
import { PY_MAXSIZE } from '../params.js';
import type { OpDefinition } from '../registry.js';

/** A filter whose stat is a pure function of the text and whose range comes from two parameters. */
export class RangeFilter extends Filter {
  readonly statKey: string;
  private readonly compute: (text: string, params: ParamValues) => number;
  private readonly minKey: string;
  private readonly maxKey: string;

  constructor(
    name: string,
    params: ParamValues,
    statKey: string,
    minKey: string,
    maxKey: string,
    compute: (text: string, params: ParamValues) => number,
  ) {
    super(name, params);
    this.statKey = statKey;
    this.minKey = minKey;
    this.maxKey = maxKey;
    this.compute = compute;
  }

  computeStat(text: string): number {
    return this.compute(text, this.params);
  }

  protected range(): [number, number] {
    return [this.params[this.minKey] as number, this.params[this.maxKey] as number];
  }
}

export interface RangeFilterSpec {
  name: string;
  description: string;
  statKey: string;
  min: [string, ParamSpec];
  max: [string, ParamSpec];
  extra?: Record<string, ParamSpec>;
  /** Computes the stat; may depend on params (e.g. rep_len). */
  compute: (text: string, params: ParamValues) => number;
  /** Extra checks across parameters; throw ParamError. */
  check?: (params: ParamValues) => void;
}

export function defineRangeFilter(spec: RangeFilterSpec): OpDefinition {
  return {
    name: spec.name,
    kind: 'filter',
    description: spec.description,
    params: { ...(spec.extra ?? {}), [spec.min[0]]: spec.min[1], [spec.max[0]]: spec.max[1] },
    create: (p) => {
      spec.check?.(p);
      return new RangeFilter(spec.name, p, spec.statKey, spec.min[0], spec.max[0], spec.compute);
    },
  };
}

export const NO_MAX = PY_MAXSIZE;
