#!/usr/bin/env node
// SimHash deduplication scaling: fingerprints + block-permutation search + clusters for N short synthetic documents
// (a fraction are near-duplicates), at several N, to show time grows ~linearly (no all-pairs comparison).
// Usage: node tools/bench/dj-simhash.mjs [N1,N2,...] [--tokenization space|character]
// Prints one JSON object to stdout. Build first: npx nx run @steel/data-juicer-ts:build
import { performance } from 'node:perf_hooks';
import { createOp } from '@steel/data-juicer-ts';

const args = process.argv.slice(2);
let sizes = [10_000, 100_000, 1_000_000];
let tokenization = 'space';
for (let i = 0; i < args.length; i++) {
  if (args[i] === '--tokenization') tokenization = args[++i];
  else sizes = args[i].split(',').map(Number);
}

let seed = 7;
const rnd = () => {
  seed = (Math.imul(seed, 1103515245) + 12345) >>> 0;
  return seed;
};
const WORDS = Array.from({ length: 5000 }, (_, i) => `w${i.toString(36)}`);
function makeDocs(n) {
  const docs = [];
  for (let i = 0; i < n; i++) {
    if (i > 0 && (rnd() >>> 16) % 10 === 0) {
      // near-duplicate of an earlier document: upper-cased (same fingerprint) or one word appended
      const base = docs[(rnd() >>> 8) % docs.length];
      docs.push((rnd() >>> 16) % 2 ? base.toUpperCase() : `${base} ${WORDS[(rnd() >>> 8) % WORDS.length]}`);
    } else {
      const len = 12 + ((rnd() >>> 8) % 20);
      docs.push(Array.from({ length: len }, () => WORDS[(rnd() >>> 8) % WORDS.length]).join(' '));
    }
  }
  return docs;
}

const runs = [];
for (const n of sizes) {
  const docs = makeDocs(n);
  const op = createOp('document_simhash_deduplicator', { tokenization });
  const t0 = performance.now();
  const samples = docs.map((text) => op.computeHash({ text }));
  const t1 = performance.now();
  const res = op.process(samples);
  const t2 = performance.now();
  runs.push({
    docs: n,
    hash_seconds: +((t1 - t0) / 1000).toFixed(2),
    search_and_cluster_seconds: +((t2 - t1) / 1000).toFixed(2),
    total_seconds: +((t2 - t0) / 1000).toFixed(2),
    kept: res.kept.length,
    us_per_doc: +(((t2 - t0) * 1000) / n).toFixed(1),
  });
}
process.stdout.write(`${JSON.stringify({ tokenization, runs }, null, 1)}\n`);
