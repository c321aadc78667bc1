// Small validators for config documents: each names the key, the value and what is allowed.
import { TrainConfigError } from './config-error.js';

export type Obj = Record<string, unknown>;

export const camel = (k: string) => k.replace(/_([a-z0-9])/g, (_, c: string) => c.toUpperCase());

export function obj(v: unknown, where: string): Obj {
  if (v === null || typeof v !== 'object' || Array.isArray(v))
    throw new TrainConfigError(`${where} must be a mapping, got ${JSON.stringify(v)}`);
  const out: Obj = {};
  for (const [k, x] of Object.entries(v as Obj)) out[camel(k)] = x;
  return out;
}

export function onlyKeys(o: Obj, allowed: string[], where: string): void {
  const snake = (k: string) => k.replace(/[A-Z]/g, (c) => `_${c.toLowerCase()}`);
  for (const k of Object.keys(o))
    if (!allowed.includes(k))
      throw new TrainConfigError(`${where}: unknown key '${snake(k)}' (allowed: ${allowed.map(snake).join(', ')})`);
}

export function int(o: Obj, k: string, where: string, min: number, dflt?: number): number {
  const v = o[k] ?? dflt;
  if (v === undefined) throw new TrainConfigError(`${where}.${k}: required (an integer >= ${min})`);
  if (typeof v !== 'number' || !Number.isInteger(v) || v < min)
    throw new TrainConfigError(`${where}.${k} must be an integer >= ${min}, got ${JSON.stringify(v)}`);
  return v;
}

export function num(o: Obj, k: string, where: string, dflt?: number): number {
  const v = o[k] ?? dflt;
  if (typeof v !== 'number' || !Number.isFinite(v))
    throw new TrainConfigError(`${where}.${k} must be a number, got ${JSON.stringify(v)}`);
  return v;
}

export function str(o: Obj, k: string, where: string): string | undefined {
  const v = o[k];
  if (v === undefined) return undefined;
  if (typeof v !== 'string' || !v)
    throw new TrainConfigError(`${where}.${k} must be a non-empty string, got ${JSON.stringify(v)}`);
  return v;
}

export function bool(o: Obj, k: string, where: string): boolean | undefined {
  const v = o[k];
  if (v === undefined) return undefined;
  if (typeof v !== 'boolean')
    throw new TrainConfigError(`${where}.${k} must be true or false, got ${JSON.stringify(v)}`);
  return v;
}
