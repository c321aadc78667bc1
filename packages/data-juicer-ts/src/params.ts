// Parameter schemas: each op declares its parameters (type, default, range) and every createOp call is validated
// against the schema with a message that says where, what was given and what is allowed.

/** Python's sys.maxsize, Data-Juicer's "no upper bound" default (as a JS number it is 2**63). */
export const PY_MAXSIZE = 2 ** 63;

export type ParamType =
  | 'string'
  | 'number'
  | 'integer'
  | 'boolean'
  /** A string or a list of strings (e.g. chars_to_remove). */
  | 'string_or_string_list'
  | 'integer_list';

export interface ParamSpec {
  type: ParamType;
  default: unknown;
  /** `null` (YAML `~`) is accepted and means "use the op's built-in behaviour" (e.g. the default pattern). */
  nullable?: boolean;
  /** Inclusive lower/upper bounds for numbers. */
  min?: number;
  max?: number;
  /** Strict lower bound (value must be greater). */
  greaterThan?: number;
  /** Allowed values for strings. */
  oneOf?: readonly string[];
  /** Compare `oneOf` case-insensitively (e.g. NFC/nfc). */
  caseInsensitive?: boolean;
  description: string;
}

export type ParamSchema = Readonly<Record<string, ParamSpec>>;

export type ParamValues = Record<string, unknown>;

/** Generic kwargs every Data-Juicer op accepts. Only text_key changes behaviour here; the rest are accepted for recipe
 * compatibility (scheduling knobs of the Python executor). */
export const COMMON_PARAMS: ParamSchema = {
  text_key: {
    type: 'string',
    default: 'text',
    description: 'field holding the text (dotted path reaches nested fields)',
  },
  batch_size: { type: 'integer', default: 1000, min: 1, description: 'accepted for recipe compatibility' },
  num_proc: {
    type: 'integer',
    default: null,
    nullable: true,
    min: 1,
    description: 'accepted for recipe compatibility',
  },
  accelerator: { type: 'string', default: null, nullable: true, description: 'accepted for recipe compatibility' },
  skip_op_error: { type: 'boolean', default: true, description: 'accepted for recipe compatibility' },
  stats_export_path: {
    type: 'string',
    default: null,
    nullable: true,
    description: 'accepted for recipe compatibility',
  },
};

/** Extra generic kwargs of filters (HEAD): closedness of the range ends and range reversal. */
export const FILTER_RANGE_PARAMS: ParamSchema = {
  min_closed_interval: { type: 'boolean', default: true, description: 'keep v == min' },
  max_closed_interval: { type: 'boolean', default: true, description: 'keep v == max' },
  reversed_range: { type: 'boolean', default: false, description: 'keep the outside of the range instead' },
};

export class ParamError extends Error {
  override name = 'ParamError';
}

function describe(value: unknown): string {
  if (value === null) return 'null';
  if (Array.isArray(value)) return `${JSON.stringify(value)} (list)`;
  if (typeof value === 'string') return `${JSON.stringify(value)} (string)`;
  if (typeof value === 'number') return `${value} (number)`;
  return `${String(value)} (${typeof value})`;
}

const TYPE_WORDS: Record<ParamType, string> = {
  string: 'a string',
  number: 'a number',
  integer: 'an integer',
  boolean: 'a boolean (true/false)',
  string_or_string_list: 'a string or a list of strings',
  integer_list: 'a list of integers',
};

function checkOne(opName: string, key: string, spec: ParamSpec, value: unknown): unknown {
  const where = `${opName}.${key}`;
  if (value === null || value === undefined) {
    if (spec.nullable || spec.default === null) return null;
    throw new ParamError(`${where}: expected ${TYPE_WORDS[spec.type]}, got null`);
  }
  const typeError = () => new ParamError(`${where}: expected ${TYPE_WORDS[spec.type]}, got ${describe(value)}`);
  switch (spec.type) {
    case 'string':
      if (typeof value !== 'string') throw typeError();
      break;
    case 'boolean':
      if (typeof value !== 'boolean') throw typeError();
      break;
    case 'number':
      if (typeof value !== 'number' || Number.isNaN(value)) throw typeError();
      break;
    case 'integer':
      if (typeof value !== 'number' || !Number.isInteger(value)) throw typeError();
      break;
    case 'string_or_string_list':
      if (!(typeof value === 'string' || (Array.isArray(value) && value.every((v) => typeof v === 'string'))))
        throw typeError();
      break;
    case 'integer_list':
      if (!(Array.isArray(value) && value.every((v) => typeof v === 'number' && Number.isInteger(v))))
        throw typeError();
      break;
  }
  if (typeof value === 'number') {
    if (spec.min !== undefined && value < spec.min)
      throw new ParamError(`${where}: must be >= ${spec.min}, got ${value}`);
    if (spec.max !== undefined && value > spec.max)
      throw new ParamError(`${where}: must be <= ${spec.max}, got ${value}`);
    if (spec.greaterThan !== undefined && !(value > spec.greaterThan))
      throw new ParamError(`${where}: must be > ${spec.greaterThan}, got ${value}`);
  }
  if (spec.oneOf && typeof value === 'string') {
    const ok = spec.caseInsensitive
      ? spec.oneOf.some((o) => o.toLowerCase() === value.toLowerCase())
      : spec.oneOf.includes(value);
    if (!ok) throw new ParamError(`${where}: must be one of ${spec.oneOf.join(', ')}; got ${describe(value)}`);
  }
  return value;
}

/**
 * Validate user params against a schema and fill in defaults. Throws ParamError naming the op, the parameter,
 * what was given and what is allowed; an unknown name lists every valid parameter.
 */
export function validateParams(
  opName: string,
  schema: ParamSchema,
  params: ParamValues | null | undefined,
): ParamValues {
  const given = params ?? {};
  if (typeof given !== 'object' || Array.isArray(given))
    throw new ParamError(`${opName}: parameters must be a mapping of name to value, got ${describe(given)}`);
  const out: ParamValues = {};
  for (const key of Object.keys(given)) {
    if (!Object.hasOwn(schema, key)) {
      throw new ParamError(
        `${opName}: unknown parameter "${key}". Valid parameters: ${Object.keys(schema).join(', ')}`,
      );
    }
  }
  for (const [key, spec] of Object.entries(schema)) {
    out[key] = Object.hasOwn(given, key) ? checkOne(opName, key, spec, given[key]) : spec.default;
  }
  return out;
}
