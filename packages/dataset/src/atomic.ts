// Atomic file creation: write a hidden temp file in the target folder, fsync, rename. A crash or an error leaves
// either the old state or the finished file, never a truncated file under the final name.
import { randomBytes } from 'node:crypto';
import { mkdir, open, rename, rm, stat } from 'node:fs/promises';
import { basename, dirname, join } from 'node:path';

/** `.<name>.tmp-<pid>-<rand>` beside `output`: hidden, so folder listings skip it. */
export function tempPathFor(output: string): string {
  return join(dirname(output), `.${basename(output)}.tmp-${process.pid}-${randomBytes(4).toString('hex')}`);
}

export async function fsyncFile(path: string): Promise<void> {
  const fh = await open(path, 'r+');
  try {
    await fh.sync();
  } finally {
    await fh.close();
  }
}

async function fsyncDir(dir: string): Promise<void> {
  try {
    const fh = await open(dir, 'r');
    try {
      await fh.sync();
    } finally {
      await fh.close();
    }
  } catch {
    // Some filesystems refuse fsync on a directory; the rename itself is still atomic.
  }
}

/**
 * Runs `produce(tempPath)` and, when it resolves, makes the temp file appear at `output` (fsync + rename).
 * When it throws, every temp file it registered through `cleanup` and the temp file itself are removed.
 */
export async function writeAtomically<T>(
  output: string,
  overwrite: boolean,
  produce: (tmp: string, extraTemp: (p: string) => void) => Promise<T>,
): Promise<T> {
  const existing = await stat(output).catch(() => undefined);
  if (existing?.isDirectory()) throw new Error(`output is a folder: ${output}`);
  if (existing && !overwrite) throw new Error(`output exists: ${output} (use overwrite / --overwrite to replace it)`);
  await mkdir(dirname(output) || '.', { recursive: true });
  const tmp = tempPathFor(output);
  const extras: string[] = [];
  try {
    const result = await produce(tmp, (p) => extras.push(p));
    await fsyncFile(tmp);
    await rename(tmp, output);
    await fsyncDir(dirname(output) || '.');
    return result;
  } catch (err) {
    await rm(tmp, { force: true });
    for (const p of extras) await rm(p, { force: true });
    throw err;
  }
}
