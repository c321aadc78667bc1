// Human-readable reports of a results file: a Markdown table and a self-contained HTML page with inline SVG bar
// charts (one overview bar per category, then one chart per category with a bar per subject). No network, no scripts.
import type { GroupScore, SubjectScore } from './aggregate.js';
import type { EvalResults } from './results.js';

const pct = (x: number) => (Number.isFinite(x) ? `${(100 * x).toFixed(2)}` : '-');

function runLine(r: EvalResults): string {
  const style = r.mode === 'logits' ? 'answer-letter log-probs' : `generation (${r.promptStyle} prompt)`;
  return `${r.benchmark.toUpperCase()} ${r.split} split, ${r.shots}-shot${r.cot ? ' chain-of-thought' : ''}, ${style}${r.limit !== undefined ? `, at most ${r.limit} questions per subject` : ''}`;
}

function escapeMd(s: string): string {
  return s.replaceAll('|', '\\|');
}

/** Markdown: run line, overall, per-category and per-subject tables (accuracies in %). */
export function renderMarkdown(r: EvalResults): string {
  const s = r.summary;
  const lines = [
    `# ${r.benchmark.toUpperCase()} results${r.model ? `: ${escapeMd(r.model)}` : ''}`,
    '',
    runLine(r),
    '',
    'Micro = correct / questions; macro = mean of the subject accuracies.',
    '',
    '| | subjects | questions | correct | micro % | macro % | unparseable |',
    '|---|---:|---:|---:|---:|---:|---:|',
    ...s.categories.map(
      (c) =>
        `| ${escapeMd(c.name)} | ${c.subjects} | ${c.questions} | ${c.correct} | ${pct(c.micro)} | ${pct(c.macro)} | ${c.unparseable} |`,
    ),
    `| **Overall** | ${s.overall.subjects} | ${s.overall.questions} | ${s.overall.correct} | **${pct(s.overall.micro)}** | **${pct(s.overall.macro)}** | ${s.overall.unparseable} |`,
    '',
    '| subject | name | categories | questions | correct | accuracy % | unparseable |',
    '|---|---|---|---:|---:|---:|---:|',
    ...s.subjects.map(
      (x) =>
        `| ${x.id} | ${escapeMd(x.name)} | ${escapeMd(x.categories.join(', '))} | ${x.questions} | ${x.correct} | ${pct(x.accuracy)} | ${x.unparseable} |`,
    ),
  ];
  if (r.skippedRows.length) lines.push('', `${r.skippedRows.length} malformed data rows were skipped.`);
  return `${lines.join('\n')}\n`;
}

function escapeHtml(s: string): string {
  return s.replaceAll('&', '&amp;').replaceAll('<', '&lt;').replaceAll('>', '&gt;').replaceAll('"', '&quot;');
}

/** A horizontal bar chart (0-100 %) with a dashed chance line at 25 %. */
function barChart(title: string, bars: { label: string; value: number; note: string }[]): string {
  const rowH = 22;
  const labelW = 230;
  const plotW = 420;
  const top = 28;
  const height = top + bars.length * rowH + 24;
  const x = (v: number) => labelW + plotW * Math.max(0, Math.min(1, v));
  const rows = bars.map((b, i) => {
    const y = top + i * rowH;
    const w = Number.isFinite(b.value) ? x(b.value) - labelW : 0;
    return [
      `<text x="${labelW - 6}" y="${y + 15}" text-anchor="end">${escapeHtml(b.label)}</text>`,
      `<rect x="${labelW}" y="${y + 3}" width="${w.toFixed(1)}" height="${rowH - 6}" fill="#4a7bd0"/>`,
      `<text x="${(labelW + w + 4).toFixed(1)}" y="${y + 15}">${pct(b.value)}% ${escapeHtml(b.note)}</text>`,
    ].join('');
  });
  const ticks = [0, 0.25, 0.5, 0.75, 1].map(
    (v) =>
      `<line x1="${x(v)}" y1="${top}" x2="${x(v)}" y2="${height - 20}" ${v === 0.25 ? 'stroke="#c33" stroke-dasharray="4 3"' : 'stroke="#ccc"'}/><text x="${x(v)}" y="${height - 6}" text-anchor="middle">${v * 100}%</text>`,
  );
  return `<figure><svg xmlns="http://www.w3.org/2000/svg" width="${labelW + plotW + 120}" height="${height}" font-family="sans-serif" font-size="12" role="img" aria-label="${escapeHtml(title)}"><text x="0" y="16" font-weight="bold" font-size="14">${escapeHtml(title)}</text>${ticks.join('')}${rows.join('')}</svg></figure>`;
}

function groupRow(name: string, g: GroupScore): string {
  return `<tr><td>${escapeHtml(name)}</td><td>${g.subjects}</td><td>${g.questions}</td><td>${g.correct}</td><td>${pct(g.micro)}</td><td>${pct(g.macro)}</td><td>${g.unparseable}</td></tr>`;
}

function subjectRow(x: SubjectScore): string {
  return `<tr><td>${x.id}</td><td>${escapeHtml(x.name)}</td><td>${x.questions}</td><td>${x.correct}</td><td>${pct(x.accuracy)}</td><td>${x.unparseable}</td></tr>`;
}

/** A self-contained HTML report (inline CSS and SVG). */
export function renderHtml(r: EvalResults): string {
  const s = r.summary;
  const charts = [
    barChart(
      'Accuracy by category (macro over subjects; dashed line = chance)',
      s.categories.map((c) => ({ label: c.name, value: c.macro, note: `(${c.subjects} subjects)` })),
    ),
    ...s.categories.map((c) =>
      barChart(
        c.name,
        s.subjects
          .filter((x) => x.categories.includes(c.name) && x.questions > 0)
          .map((x) => ({ label: x.name, value: x.accuracy, note: `(${x.correct}/${x.questions})` })),
      ),
    ),
  ];
  return `<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>${escapeHtml(`${r.benchmark.toUpperCase()} ${r.model}`)}</title>
<style>body{font-family:sans-serif;margin:2em;max-width:60em}table{border-collapse:collapse;margin:1em 0}td,th{border:1px solid #ddd;padding:2px 8px;text-align:right}td:first-child,td:nth-child(2),th{text-align:left}figure{margin:1em 0}</style></head>
<body><h1>${escapeHtml(r.benchmark.toUpperCase())} results${r.model ? `: ${escapeHtml(r.model)}` : ''}</h1>
<p>${escapeHtml(runLine(r))}. Micro = correct / questions; macro = mean of subject accuracies.</p>
<table><tr><th></th><th>subjects</th><th>questions</th><th>correct</th><th>micro %</th><th>macro %</th><th>unparseable</th></tr>
${s.categories.map((c) => groupRow(c.name, c)).join('\n')}
${groupRow('Overall', s.overall)}</table>
${charts.join('\n')}
<table><tr><th>subject</th><th>name</th><th>questions</th><th>correct</th><th>accuracy %</th><th>unparseable</th></tr>
${s.subjects.map(subjectRow).join('\n')}</table>
</body></html>
`;
}
