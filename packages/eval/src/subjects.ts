// Subject lists and subject -> category maps of the three benchmarks, from the data files in ./data
// (written from the benchmarks' published lists; see README "Subjects and categories").
import ceval from './data/ceval-subjects.json';
import cmmlu from './data/cmmlu-subjects.json';
import mmlu from './data/mmlu-subjects.json';
import type { BenchmarkName, SubjectInfo } from './types.js';

interface SubjectFile {
  categories: string[];
  subjects: Record<string, { en: string; zh?: string; categories: string[] }>;
}

function toInfos(file: SubjectFile): SubjectInfo[] {
  return Object.entries(file.subjects).map(([id, s]) => ({
    id,
    nameEn: s.en,
    ...(s.zh ? { nameZh: s.zh } : {}),
    categories: [...s.categories],
  }));
}

const FILES: Record<BenchmarkName, SubjectFile> = { ceval, cmmlu, mmlu };

/** Every subject of a benchmark, sorted by id. */
export function benchmarkSubjects(benchmark: BenchmarkName): SubjectInfo[] {
  return toInfos(FILES[benchmark]);
}

/** The benchmark's categories in their documented order. */
export function benchmarkCategories(benchmark: BenchmarkName): string[] {
  return [...FILES[benchmark].categories];
}

export function subjectInfo(benchmark: BenchmarkName, id: string): SubjectInfo {
  const s = FILES[benchmark].subjects[id];
  if (!s) {
    throw new Error(
      `unknown ${benchmark} subject '${id}' (known: ${Object.keys(FILES[benchmark].subjects).join(', ')})`,
    );
  }
  return { id, nameEn: s.en, ...(s.zh ? { nameZh: s.zh } : {}), categories: [...s.categories] };
}
