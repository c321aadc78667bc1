#!/usr/bin/env node
// Runs every project's tests through Nx, then prints one plain summary line that CI reads:
//   "N passed, N failed"
// Each package's vitest writes a JSON report to <project>/.test-results/vitest.json (an Nx cached output,
// so a cache hit restores it). Extra args are passed to nx (e.g. --projects=@steel/dataset).
import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';

const root = path.resolve(path.dirname(new URL(import.meta.url).pathname), '../..');
const projectDirs = ['packages', 'tools'].flatMap((top) =>
  fs
    .readdirSync(path.join(root, top), { withFileTypes: true })
    .filter((d) => d.isDirectory() && fs.existsSync(path.join(root, top, d.name, 'package.json')))
    .map((d) => path.join(root, top, d.name)),
);
fs.rmSync(path.join(root, '.test-results'), { recursive: true, force: true });
for (const dir of projectDirs) fs.rmSync(path.join(dir, '.test-results'), { recursive: true, force: true });

const nx = spawnSync('npx', ['nx', 'run-many', '-t', 'test', '--outputStyle=stream', ...process.argv.slice(2)], {
  cwd: root,
  stdio: 'inherit',
});

let passed = 0;
let failed = 0;
let skipped = 0;
const missing = [];
for (const dir of projectDirs) {
  const pkg = JSON.parse(fs.readFileSync(path.join(dir, 'package.json'), 'utf8'));
  if (!pkg.scripts?.test) continue;
  const report = path.join(dir, '.test-results', 'vitest.json');
  if (!fs.existsSync(report)) {
    missing.push(pkg.name);
    continue;
  }
  const r = JSON.parse(fs.readFileSync(report, 'utf8'));
  passed += r.numPassedTests ?? 0;
  failed += r.numFailedTests ?? 0;
  skipped += (r.numPendingTests ?? 0) + (r.numTodoTests ?? 0);
  // A suite that failed to load (syntax error, missing import) or whose beforeAll hook failed (its tests are then
  // reported as skipped) has no failed test but is still a failure.
  failed += (r.testResults ?? []).filter(
    (s) => s.status === 'failed' && !(s.assertionResults ?? []).some((a) => a.status === 'failed'),
  ).length;
}
const filtered = process.argv.slice(2).some((a) => a.startsWith('--projects') || a.startsWith('-p'));
if (missing.length && !filtered) {
  process.stderr.write(`no test report from: ${missing.join(', ')} (counted as failed)\n`);
  failed += missing.length;
}
const line = `${passed} passed, ${failed} failed${skipped ? `, ${skipped} skipped` : ''}`;
fs.mkdirSync(path.join(root, '.test-results'), { recursive: true });
fs.writeFileSync(path.join(root, '.test-results', 'summary.txt'), `${line}\n`);
console.log(line);
process.exit(nx.status !== 0 || failed > 0 ? 1 : 0);
