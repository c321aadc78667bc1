// The op registry: name -> definition (kind, parameter schema, factory). Built-in ops and user ops go through the
// same `register`, and `createOp` validates parameters against the op's schema before constructing it.

import type { Op, OpKind } from './op.js';
import {
  COMMON_PARAMS,
  FILTER_RANGE_PARAMS,
  ParamError,
  type ParamSchema,
  type ParamValues,
  validateParams,
} from './params.js';

export interface OpDefinition {
  name: string;
  kind: OpKind;
  description: string;
  /** The op's own parameters; the generic ones (text_key, ... and the filter range knobs) are added automatically. */
  params: ParamSchema;
  /** Build the op from validated parameters (defaults filled in). */
  create(params: ParamValues): Op;
}

export interface RegisteredOp extends OpDefinition {
  /** The full schema: the op's parameters plus the generic ones. */
  schema: ParamSchema;
}

export class OpRegistry {
  private readonly ops = new Map<string, RegisteredOp>();

  /** Add an op. Throws if the name is taken, unless `replace` is true. */
  register(def: OpDefinition, options: { replace?: boolean } = {}): void {
    if (!/^[A-Za-z_][A-Za-z0-9_]*$/.test(def.name))
      throw new ParamError(`op name must be an identifier like my_filter, got ${JSON.stringify(def.name)}`);
    if (this.ops.has(def.name) && !options.replace)
      throw new ParamError(`op "${def.name}" is already registered (pass { replace: true } to override it)`);
    const schema: ParamSchema = {
      ...def.params,
      ...COMMON_PARAMS,
      ...(def.kind === 'filter' ? FILTER_RANGE_PARAMS : {}),
    };
    this.ops.set(def.name, { ...def, schema });
  }

  has(name: string): boolean {
    return this.ops.has(name);
  }

  get(name: string): RegisteredOp {
    const def = this.ops.get(name);
    if (!def) throw new ParamError(`unknown op "${name}". Known ops: ${this.names().join(', ')}`);
    return def;
  }

  names(): string[] {
    return [...this.ops.keys()].sort();
  }

  list(): RegisteredOp[] {
    return this.names().map((n) => this.ops.get(n)!);
  }

  /** Validate `params` against the op's schema and construct it. */
  create(name: string, params?: ParamValues | null): Op {
    const def = this.get(name);
    return def.create(validateParams(name, def.schema, params));
  }
}
