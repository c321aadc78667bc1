// Arrow schemas for JSON-like records: inference, unification, and the conversions records <-> RecordBatch.
//
// Fidelity rules (what makes jsonl -> parquet -> Arrow -> jsonl lossless):
// - integers that are all safe numbers or fit Int64 -> Int64 (read back as number when safe, bigint otherwise);
//   any non-integer number -> Float64; int + float -> Float64 only when every integer was a safe number.
// - a field whose values conflict (string vs number, object vs array, ...) -> Utf8 holding JSON text, tagged with
//   field metadata `steel.json = "true"`; null there means "key absent", the text "null" means an explicit null.
// - a field that is sometimes absent gets `steel.null = "absent"` (null = key absent, writers omit it); a field
//   that is both sometimes absent and sometimes explicitly null becomes a JSON-text field, so both survive.
// - `{}` (an object that never has keys) becomes a JSON-text field (Parquet cannot store an empty group).
// - a string with a lone UTF-16 surrogate (possible in JSON via escapes, impossible in UTF-8) makes its field JSON text.
import {
  Bool,
  type DataType,
  Field,
  Float64,
  Int64,
  LargeUtf8,
  List,
  makeBuilder,
  makeData,
  Null,
  RecordBatch,
  Schema,
  Struct,
  Type,
  Utf8,
  type Vector,
} from 'apache-arrow';
import { parseJson, RawJson, stringifyJson } from './json.js';

export const META_JSON = 'steel.json';
export const META_NULL = 'steel.null';
/**
 * `steel.int = "big"`: this Int64 field holds integers beyond 2^53, so it must never widen to Float64 (a conflict
 * with floats makes it JSON text instead). Other Int64 fields widen to Float64; a value beyond 2^53 met during that
 * cast (foreign files) makes it throw instead of rounding. Only "big" is tagged, so inferred and foreign Int64 agree.
 */
export const META_INT = 'steel.int';

// ---------------------------------------------------------------------------------------------------------------
// Inference over JS values

type Kind = 'null' | 'bool' | 'int' | 'float' | 'str' | 'json' | 'struct' | 'list';

interface Slot {
  kind: Kind;
  /** An integer beyond 2^53 was seen (kind 'int'). */
  big: boolean;
  /** An explicit null was seen. */
  nulls: boolean;
  /** Number of records in which the key was present (struct children only). */
  present: number;
  /** kind 'struct': children by key, in first-seen order; count = objects seen. */
  fields?: Map<string, Slot>;
  count: number;
  /** kind 'list': the item slot. */
  item?: Slot;
}

function newSlot(): Slot {
  return { kind: 'null', big: false, nulls: false, present: 0, count: 0 };
}

/** Accumulates the shape of many records; `schema()` gives the Arrow schema of everything seen so far. */
export class SchemaInferrer {
  private readonly root: Slot = { ...newSlot(), kind: 'struct', fields: new Map() };

  /** Observes one record (a plain object). */
  observe(record: Record<string, unknown>): void {
    observeObject(this.root, record);
  }

  get records(): number {
    return this.root.count;
  }

  schema(): Schema {
    const fields: Field[] = [];
    for (const [name, child] of this.root.fields!)
      fields.push(slotToField(name, child, child.present < this.root.count));
    return new Schema(fields);
  }
}

/** The Arrow schema of a list of JSON-like records (see the module comment for the rules). */
export function inferSchema(records: Iterable<Record<string, unknown>>): Schema {
  const inf = new SchemaInferrer();
  for (const r of records) inf.observe(r);
  return inf.schema();
}

function observeObject(slot: Slot, obj: Record<string, unknown>): void {
  slot.count++;
  const fields = slot.fields!;
  for (const key in obj) {
    const v = obj[key];
    if (v === undefined) continue;
    let child = fields.get(key);
    if (!child) {
      child = newSlot();
      fields.set(key, child);
    }
    child.present++;
    observeValue(child, v);
  }
}

function kindOf(v: unknown): Kind {
  switch (typeof v) {
    case 'boolean':
      return 'bool';
    case 'number':
      return Number.isSafeInteger(v) && !Object.is(v, -0) ? 'int' : 'float';
    case 'bigint':
      return 'int';
    case 'string':
      // A lone surrogate (legal in JSON text via \ud83d escapes) has no UTF-8 form: keep such a field as JSON text.
      return (v as unknown as { isWellFormed(): boolean }).isWellFormed() ? 'str' : 'json';
    case 'object':
      if (v === null) return 'null';
      if (Array.isArray(v)) return 'list';
      if (v instanceof RawJson) return 'json';
      if (v instanceof Date) return 'str';
      return 'struct';
    default:
      return 'json';
  }
}

function observeValue(slot: Slot, v: unknown): void {
  if (v === null) {
    slot.nulls = true;
    return;
  }
  if (slot.kind === 'json') return;
  const k = kindOf(v);
  if (slot.kind === 'null') {
    slot.kind = k;
    if (k === 'struct') slot.fields = new Map();
    if (k === 'list') slot.item = newSlot();
  } else if (slot.kind !== k) {
    if (
      (slot.kind === 'int' && k === 'float' && !slot.big) ||
      (slot.kind === 'float' && k === 'int' && typeof v === 'number')
    ) {
      slot.kind = 'float';
      return;
    }
    toJson(slot);
    return;
  }
  if (k === 'int' && typeof v === 'bigint') {
    slot.big = true;
  } else if (k === 'struct') {
    observeObject(slot, v as Record<string, unknown>);
  } else if (k === 'list') {
    const item = slot.item!;
    for (const x of v as unknown[]) observeValue(item, x === undefined ? null : x);
  }
}

function toJson(slot: Slot): void {
  slot.kind = 'json';
  slot.fields = undefined;
  slot.item = undefined;
}

function slotToField(name: string, slot: Slot, absent: boolean): Field {
  const meta = new Map<string, string>();
  let type: DataType;
  let json = slot.kind === 'json' || (slot.kind === 'struct' && slot.fields!.size === 0) || (absent && slot.nulls);
  if (!json) {
    switch (slot.kind) {
      case 'null':
        type = new Null();
        break;
      case 'bool':
        type = new Bool();
        break;
      case 'int':
        type = new Int64();
        if (slot.big) meta.set(META_INT, 'big');
        break;
      case 'float':
        type = new Float64();
        break;
      case 'str':
        type = new Utf8();
        break;
      case 'list':
        type = new List(slotToField('item', slot.item!, false));
        break;
      default: {
        const children: Field[] = [];
        for (const [k, c] of slot.fields!) children.push(slotToField(k, c, c.present < slot.count));
        type = new Struct(children);
      }
    }
    if (absent) meta.set(META_NULL, 'absent');
  } else {
    json = true;
  }
  if (json) {
    return new Field(name, new Utf8(), true, new Map([[META_JSON, 'true']]));
  }
  return new Field(name, type!, absent || slot.nulls || slot.kind === 'null', meta);
}

// ---------------------------------------------------------------------------------------------------------------
// Unification of Arrow schemas

export function isJsonField(f: Field): boolean {
  return f.metadata.get(META_JSON) === 'true';
}

type NullMode = 'none' | 'absent' | 'null';

function nullMode(f: Field): NullMode {
  if (isJsonField(f)) return 'absent';
  if (!f.nullable) return 'none';
  return f.metadata.get(META_NULL) === 'absent' ? 'absent' : 'null';
}

function jsonField(name: string): Field {
  return new Field(name, new Utf8(), true, new Map([[META_JSON, 'true']]));
}

function withMode(f: Field, mode: NullMode): Field {
  const meta = new Map(f.metadata);
  meta.delete(META_NULL);
  if (mode === 'absent' && !isJsonField(f)) meta.set(META_NULL, 'absent');
  return new Field(f.name, f.type, mode !== 'none' || f.type.typeId === Type.Null, meta);
}

function isStringType(t: DataType): boolean {
  return t.typeId === Type.Utf8 || t.typeId === Type.LargeUtf8;
}

function isIntType(t: DataType): boolean {
  return t.typeId === Type.Int;
}

function isFloatType(t: DataType): boolean {
  return t.typeId === Type.Float;
}

/** Decoded value type of a dictionary, the type itself otherwise. */
function valueType(t: DataType): DataType {
  return t.typeId === Type.Dictionary ? (t as unknown as { dictionary: DataType }).dictionary : t;
}

/** The narrowest field that holds every value of `a` and of `b` without loss (JSON text when nothing else does). */
export function unifyFields(a: Field, b: Field): Field {
  const name = a.name;
  if (isJsonField(a) || isJsonField(b)) return jsonField(name);
  const ma = nullMode(a);
  const mb = nullMode(b);
  if ((ma === 'absent' && mb === 'null') || (ma === 'null' && mb === 'absent')) return jsonField(name);
  const mode: NullMode = ma === 'none' ? mb : ma;
  const ta = valueType(a.type);
  const tb = valueType(b.type);
  if (ta.typeId === Type.Null) return withMode(new Field(name, tb, true, b.metadata), mode === 'none' ? 'null' : mode);
  if (tb.typeId === Type.Null) return withMode(new Field(name, ta, true, a.metadata), mode === 'none' ? 'null' : mode);
  const meta = new Map<string, string>();
  let type: DataType | undefined;
  if (isStringType(ta) && isStringType(tb)) {
    type = ta.typeId === Type.LargeUtf8 || tb.typeId === Type.LargeUtf8 ? new LargeUtf8() : new Utf8();
  } else if (ta.typeId === Type.Bool && tb.typeId === Type.Bool) {
    type = ta;
  } else if (isIntType(ta) && isIntType(tb)) {
    if (typesEqual(ta, tb)) type = ta;
    else type = new Int64();
    if (isBigInt(a) || isBigInt(b)) meta.set(META_INT, 'big');
  } else if (isFloatType(ta) && isFloatType(tb)) {
    type = typesEqual(ta, tb) ? ta : new Float64();
  } else if ((isFloatType(ta) && isIntType(tb) && !isBigInt(b)) || (isIntType(ta) && isFloatType(tb) && !isBigInt(a))) {
    type = new Float64();
  } else if (ta.typeId === Type.Struct && tb.typeId === Type.Struct) {
    type = new Struct(unifyFieldLists(ta.children, tb.children));
  } else if ((ta.typeId === Type.List || ta.typeId === Type.LargeList) && ta.typeId === tb.typeId) {
    const item = unifyFields(ta.children[0]!, tb.children[0]!);
    type = new List(item);
  } else if (typesEqual(ta, tb)) {
    type = ta;
  }
  if (!type) return jsonField(name);
  return withMode(new Field(name, type, true, meta), mode);
}

function isBigInt(f: Field): boolean {
  return f.metadata.get(META_INT) === 'big';
}

function unifyFieldLists(a: readonly Field[], b: readonly Field[]): Field[] {
  const byName = new Map(b.map((f) => [f.name, f]));
  const out: Field[] = [];
  for (const fa of a) {
    const fb = byName.get(fa.name);
    if (fb) {
      out.push(unifyFields(fa, fb));
      byName.delete(fa.name);
    } else {
      out.push(markAbsent(fa));
    }
  }
  for (const fb of byName.values()) out.push(markAbsent(fb));
  return out;
}

/** The field as seen by rows that do not have it at all. */
function markAbsent(f: Field): Field {
  const m = nullMode(f);
  if (m === 'null') return jsonField(f.name);
  return withMode(f, 'absent');
}

/** One schema that holds every batch of every input schema (fields in first-seen order). */
export function unifySchemas(schemas: readonly Schema[]): Schema {
  if (schemas.length === 0) return new Schema([]);
  let fields: Field[] = [...schemas[0]!.fields];
  for (const s of schemas.slice(1)) fields = unifyFieldLists(fields, s.fields);
  return new Schema(fields);
}

/** Deep equality of types, including child names, nullability and the steel.* metadata that changes meaning. */
export function typesEqual(a: DataType, b: DataType): boolean {
  if (a.typeId !== b.typeId) return false;
  if (String(a) !== String(b)) return false;
  const ca = a.children ?? [];
  const cb = b.children ?? [];
  if (ca.length !== cb.length) return false;
  for (let i = 0; i < ca.length; i++) if (!fieldsEqual(ca[i]!, cb[i]!)) return false;
  if (a.typeId === Type.Dictionary) return typesEqual(valueType(a), valueType(b));
  return true;
}

export function fieldsEqual(a: Field, b: Field): boolean {
  return (
    a.name === b.name &&
    a.nullable === b.nullable &&
    a.metadata.get(META_JSON) === b.metadata.get(META_JSON) &&
    a.metadata.get(META_NULL) === b.metadata.get(META_NULL) &&
    a.metadata.get(META_INT) === b.metadata.get(META_INT) &&
    typesEqual(a.type, b.type)
  );
}

export function schemasEqual(a: Schema, b: Schema): boolean {
  if (a.fields.length !== b.fields.length) return false;
  for (let i = 0; i < a.fields.length; i++) if (!fieldsEqual(a.fields[i]!, b.fields[i]!)) return false;
  return true;
}

// ---------------------------------------------------------------------------------------------------------------
// Records -> RecordBatch

/**
 * Builds one RecordBatch from plain records. Without `schema` the schema is inferred (see module comment).
 * With `schema`, values must fit it (a mismatch throws a TypeError naming the field and row).
 */
export function batchFromRecords(records: readonly Record<string, unknown>[], schema?: Schema): RecordBatch {
  const s = schema ?? inferSchema(records);
  const n = records.length;
  const children = s.fields.map((field) => {
    const builder = makeBuilder({ type: field.type, nullValues: [null, undefined] });
    const prep = preparer(field);
    for (let r = 0; r < n; r++) {
      const v = records[r]![field.name];
      try {
        builder.append(prep ? prep(v) : v);
      } catch (err) {
        throw new TypeError(`record ${r}: field "${field.name}" does not fit ${field.type}: ${(err as Error).message}`);
      }
    }
    return builder.finish().flush();
  });
  const data = makeData({ type: new Struct(s.fields), length: n, nullCount: 0, children });
  return new RecordBatch(s, data);
}

type Prep = (v: unknown) => unknown;

/** A function that turns a JS value into what the Arrow builder of `field` accepts; undefined when none is needed. */
function preparer(field: Field): Prep | undefined {
  if (isJsonField(field)) return (v) => (v === undefined ? null : stringifyJson(v));
  const t = field.type;
  const name = field.name;
  switch (t.typeId) {
    case Type.Int:
      if ((t as Int64).bitWidth === 64)
        return (v) => {
          if (v === null || v === undefined || typeof v === 'bigint') return v;
          if (typeof v === 'number' && Number.isInteger(v)) return BigInt(v);
          throw new TypeError(`expected an integer in "${name}", got ${stringifyJson(v)}`);
        };
      return checker(name, 'number');
    case Type.Float:
      return (v) => {
        if (v === null || v === undefined || typeof v === 'number') return v;
        if (typeof v === 'bigint') {
          if (v >= -9007199254740991n && v <= 9007199254740991n) return Number(v);
          throw new TypeError(`integer ${v} in "${name}" cannot be stored exactly as Float64`);
        }
        throw new TypeError(`expected a number in "${name}", got ${stringifyJson(v)}`);
      };
    case Type.Utf8:
    case Type.LargeUtf8:
      return (v) => {
        if (v === null || v === undefined || typeof v === 'string') return v;
        if (v instanceof Date) return v.toISOString();
        throw new TypeError(`expected a string in "${name}", got ${stringifyJson(v)}`);
      };
    case Type.Bool:
      return checker(name, 'boolean');
    case Type.Null:
      return (v) => {
        if (v === null || v === undefined) return null;
        throw new TypeError(`expected null in "${name}", got ${stringifyJson(v)}`);
      };
    case Type.Struct: {
      const kids = (t.children as Field[]).map((c) => [c.name, preparer(c)] as const);
      if (kids.every(([, p]) => !p))
        return (v) => {
          if (v !== null && v !== undefined && (typeof v !== 'object' || Array.isArray(v)))
            throw new TypeError(`expected an object in "${name}"`);
          return v;
        };
      return (v) => {
        if (v === null || v === undefined) return v;
        if (typeof v !== 'object' || Array.isArray(v)) throw new TypeError(`expected an object in "${name}"`);
        const o = v as Record<string, unknown>;
        const out: Record<string, unknown> = {};
        for (const [k, p] of kids) out[k] = p ? p(o[k]) : o[k];
        return out;
      };
    }
    case Type.List:
    case Type.LargeList: {
      const p = preparer(t.children[0]!);
      return (v) => {
        if (v === null || v === undefined) return v;
        if (!Array.isArray(v)) throw new TypeError(`expected an array in "${name}"`);
        return p ? v.map((x) => p(x === undefined ? null : x)) : v;
      };
    }
    default:
      return undefined;
  }
}

function checker(name: string, type: string): Prep {
  return (v) => {
    if (v === null || v === undefined || typeof v === type) return v;
    throw new TypeError(`expected a ${type} in "${name}", got ${stringifyJson(v)}`);
  };
}

// ---------------------------------------------------------------------------------------------------------------
// RecordBatch -> records

/** Marks "key absent" in column value arrays. */
const ABSENT: unique symbol = Symbol('absent');

/**
 * Plain records from a batch: Int64 as number when safe (bigint otherwise), JSON-text fields parsed back,
 * absent-tagged nulls omitted, binary as base64, dates as ISO strings, timestamps as numbers.
 */
export function recordsFromBatch(batch: RecordBatch): Record<string, unknown>[] {
  const n = batch.numRows;
  const fields = batch.schema.fields;
  const cols = fields.map((f, i) => columnValues(batch.getChildAt(i)!, f));
  const out: Record<string, unknown>[] = new Array(n);
  for (let r = 0; r < n; r++) {
    const o: Record<string, unknown> = {};
    for (let c = 0; c < fields.length; c++) {
      const v = cols[c]![r];
      if (v !== ABSENT) o[fields[c]!.name] = v;
    }
    out[r] = o;
  }
  return out;
}

/** The JS values of one column (ABSENT where the key is absent). */
export function columnValues(vec: Vector, field: Field): unknown[] {
  const n = vec.length;
  const out: unknown[] = new Array(n);
  const absentNull = nullMode(field) === 'absent';
  const nullValue = absentNull ? ABSENT : null;
  if (isJsonField(field)) {
    let i = 0;
    for (const v of vec) out[i++] = v === null || v === undefined ? ABSENT : parseJson(v as string);
    return out;
  }
  const t = field.type;
  switch (t.typeId) {
    case Type.Struct: {
      const kids = (t.children as Field[]).map((c, j) => [c.name, columnValues(vec.getChildAt(j)!, c)] as const);
      for (let i = 0; i < n; i++) {
        if (!vec.isValid(i)) {
          out[i] = nullValue;
          continue;
        }
        const o: Record<string, unknown> = {};
        for (const [k, vals] of kids) {
          const v = vals[i];
          if (v !== ABSENT) o[k] = v;
        }
        out[i] = o;
      }
      return out;
    }
    case Type.List:
    case Type.LargeList:
    case Type.FixedSizeList: {
      const itemField = t.children[0]!;
      for (let i = 0; i < n; i++) {
        const sub = vec.get(i) as Vector | null;
        if (sub === null || sub === undefined) out[i] = nullValue;
        else out[i] = columnValues(sub, itemField).map((x) => (x === ABSENT ? null : x));
      }
      return out;
    }
    default: {
      let i = 0;
      for (const v of vec) out[i++] = v === null || v === undefined ? nullValue : scalarToJs(v);
      return out;
    }
  }
}

function scalarToJs(v: unknown): unknown {
  switch (typeof v) {
    case 'bigint':
      return v >= -9007199254740991n && v <= 9007199254740991n ? Number(v) : v;
    case 'object':
      if (v instanceof Uint8Array) return Buffer.from(v.buffer, v.byteOffset, v.byteLength).toString('base64');
      if (v instanceof Date) return v.toISOString();
      if (ArrayBuffer.isView(v)) return Array.from(v as unknown as ArrayLike<number>);
      if (v && typeof (v as { toJSON?: unknown }).toJSON === 'function') return (v as { toJSON(): unknown }).toJSON();
      return v;
    default:
      return v;
  }
}

/** Whether the schema has a JSON-text field at any depth (the writer then needs the exact JSON serializer). */
export function hasJsonFields(fields: readonly Field[]): boolean {
  return fields.some((f) => isJsonField(f) || hasJsonFields(f.type.children ?? []));
}

/**
 * The batch re-expressed in `schema` (which must be a unification of the batch's schema and others).
 * Identical schemas are returned as-is; otherwise values go through records, which is exact by construction.
 */
export function castBatch(batch: RecordBatch, schema: Schema): RecordBatch {
  if (schemasEqual(batch.schema, schema)) return batch;
  const n = batch.numRows;
  const children = [];
  for (const target of schema.fields) {
    const i = batch.schema.fields.findIndex((f) => f.name === target.name);
    if (i < 0) {
      const b = makeBuilder({ type: target.type, nullValues: [null, undefined] });
      for (let r = 0; r < n; r++) b.append(null);
      children.push(b.finish().flush());
    } else if (sameLayout(batch.schema.fields[i]!, target)) {
      children.push(batch.data.children[i]!);
    } else {
      // Values change representation (widening, JSON text): go through records, exact by construction.
      return batchFromRecords(recordsFromBatch(batch), schema);
    }
  }
  return new RecordBatch(schema, makeData({ type: new Struct(schema.fields), length: n, nullCount: 0, children }));
}

/** Same physical layout and the same JSON-text tagging at every depth (null semantics are settled by unification). */
function sameLayout(a: Field, b: Field): boolean {
  if (isJsonField(a) !== isJsonField(b) || a.name !== b.name) return false;
  if (a.type.typeId !== b.type.typeId || String(a.type) !== String(b.type)) return false;
  const ca = a.type.children ?? [];
  const cb = b.type.children ?? [];
  if (ca.length !== cb.length) return false;
  for (let i = 0; i < ca.length; i++) if (!sameLayout(ca[i]!, cb[i]!)) return false;
  return true;
}

export { ABSENT };
