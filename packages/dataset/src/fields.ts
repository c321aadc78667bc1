// Field paths: 'text', 'meta.title'. A literal key containing a dot wins over the dotted path.

/** The value at `path` in a record: the literal key when present, else the dotted path; undefined when missing. */
export function getPath(record: Record<string, unknown>, path: string): unknown {
  if (path in record) return record[path];
  if (!path.includes('.')) return undefined;
  let cur: unknown = record;
  for (const part of path.split('.')) {
    if (cur === null || typeof cur !== 'object' || Array.isArray(cur)) return undefined;
    cur = (cur as Record<string, unknown>)[part];
    if (cur === undefined) return undefined;
  }
  return cur;
}

/** A record with exactly the keys `fields` (named by their paths, in that order); a missing path gives null. */
export function selectFields(record: Record<string, unknown>, fields: readonly string[]): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const f of fields) {
    const v = getPath(record, f);
    out[f] = v === undefined ? null : v;
  }
  return out;
}

export interface FieldProblem {
  reason: 'missing-field' | 'null-field' | 'not-a-string';
  field: string;
}

/** The first required field that is missing, null or not a string. */
export function checkRequired(record: Record<string, unknown>, required: readonly string[]): FieldProblem | undefined {
  for (const field of required) {
    const v = getPath(record, field);
    if (v === undefined) return { reason: 'missing-field', field };
    if (v === null) return { reason: 'null-field', field };
    if (typeof v !== 'string') return { reason: 'not-a-string', field };
  }
  return undefined;
}

/** Validates a list of field paths from a user (CLI flag, recipe). */
export function parseFieldList(spec: string): string[] {
  const fields = spec
    .split(',')
    .map((s) => s.trim())
    .filter((s) => s.length > 0);
  for (const f of fields) {
    if (f.startsWith('.') || f.endsWith('.') || f.includes('..')) {
      throw new Error(`bad field path "${f}": use names joined by single dots, e.g. meta.title`);
    }
  }
  if (fields.length === 0) throw new Error(`no field names in "${spec}"`);
  return fields;
}
