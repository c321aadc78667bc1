// File formats by extension, and the stable list of dataset files under a folder.
import { readdir, stat } from 'node:fs/promises';
import { join, resolve } from 'node:path';

export type DatasetFormat = 'jsonl' | 'json' | 'parquet' | 'arrow' | 'csv';
export type Compression = 'none' | 'gzip' | 'zstd';

export const DATASET_FORMATS: readonly DatasetFormat[] = ['jsonl', 'json', 'parquet', 'arrow', 'csv'];

const EXTENSIONS: Record<string, DatasetFormat> = {
  jsonl: 'jsonl',
  ndjson: 'jsonl',
  json: 'json',
  parquet: 'parquet',
  arrow: 'arrow',
  arrows: 'arrow',
  ipc: 'arrow',
  feather: 'arrow',
  csv: 'csv',
};
const TEXT_FORMATS = new Set<DatasetFormat>(['jsonl', 'json', 'csv']);

export const SUPPORTED_EXTENSIONS =
  '.jsonl .ndjson .json .csv (each also .gz/.zst), .parquet, .arrow .arrows .ipc .feather';

/**
 * The format and compression of a path from its extension: `.jsonl`, `.jsonl.gz`, `.jsonl.zst`, `.json`, `.csv`
 * (text formats may end in `.gz`, `.zst` or `.zstd`), `.parquet`, `.arrow`/`.ipc`/`.feather` (IPC file or stream)
 * and `.arrows` (IPC stream). Throws an Error naming the supported extensions otherwise.
 */
export function detectFormat(path: string): { format: DatasetFormat; compression: Compression } {
  const name = path.toLowerCase().replace(/^.*[\\/]/, '');
  const parts = name.split('.');
  let compression: Compression = 'none';
  let ext = parts.length > 1 ? parts[parts.length - 1]! : '';
  if ((ext === 'gz' || ext === 'zst' || ext === 'zstd') && parts.length > 2) {
    compression = ext === 'gz' ? 'gzip' : 'zstd';
    ext = parts[parts.length - 2]!;
  }
  const format = EXTENSIONS[ext];
  if (!format || (compression !== 'none' && !TEXT_FORMATS.has(format))) {
    throw new Error(`unsupported dataset file "${path}": expected one of ${SUPPORTED_EXTENSIONS}`);
  }
  return { format, compression };
}

/** Whether an Arrow path asks for the IPC stream format (`.arrows`) rather than the file format. */
export function isArrowStreamPath(path: string): boolean {
  return path.toLowerCase().endsWith('.arrows');
}

export interface ListOptions {
  /** Only these formats (default: all). */
  formats?: DatasetFormat[];
  /** Descend into sub-folders (default true). */
  recursive?: boolean;
}

function formatOf(path: string): DatasetFormat | undefined {
  try {
    return detectFormat(path).format;
  } catch {
    return undefined;
  }
}

/** Byte-wise (code point) comparison: the same order on every machine and locale. */
function compareNames(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}

/**
 * The dataset files named by `input`: a file is taken as given (its extension must be supported); a folder gives
 * every supported file under it (hidden `.x` and `_x` entries skipped), sorted by path, so every run and every
 * worker sees the same order. A list keeps its order and drops repeats. Throws when a path does not exist.
 */
export async function listDatasetFiles(input: string | string[], opts: ListOptions = {}): Promise<string[]> {
  const inputs = Array.isArray(input) ? input : [input];
  if (inputs.length === 0) throw new Error('no input given');
  const formats = opts.formats ? new Set(opts.formats) : undefined;
  const recursive = opts.recursive ?? true;
  const out: string[] = [];
  const seen = new Set<string>();
  const add = (p: string) => {
    const key = resolve(p);
    if (!seen.has(key)) {
      seen.add(key);
      out.push(p);
    }
  };
  for (const p of inputs) {
    let st: Awaited<ReturnType<typeof stat>>;
    try {
      st = await stat(p);
    } catch {
      throw new Error(`input not found: ${p}`);
    }
    if (st.isDirectory()) {
      const found: string[] = [];
      await walk(p, recursive, found);
      for (const f of found) {
        const fmt = formatOf(f);
        if (fmt && (!formats || formats.has(fmt))) add(f);
      }
    } else {
      const fmt = detectFormat(p).format;
      if (formats && !formats.has(fmt)) {
        throw new Error(`"${p}" is ${fmt}, but only ${[...formats].join(', ')} is accepted here`);
      }
      add(p);
    }
  }
  return out;
}

async function walk(dir: string, recursive: boolean, out: string[]): Promise<void> {
  const entries = await readdir(dir, { withFileTypes: true });
  entries.sort((a, b) => compareNames(a.name, b.name));
  for (const e of entries) {
    if (e.name.startsWith('.') || e.name.startsWith('_')) continue;
    const p = join(dir, e.name);
    if (e.isDirectory()) {
      if (recursive) await walk(p, recursive, out);
    } else if (e.isFile() || e.isSymbolicLink()) {
      out.push(p);
    }
  }
}
