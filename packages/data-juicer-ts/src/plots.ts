// The analyzer's pictures without a plotting library: a histogram with a box plot under it, as a standalone SVG, and
// one HTML page (inline SVGs + the describe table) a person can open in a browser.

import type { StatSummary } from './analyze.js';

export interface HistogramOptions {
  /** Number of equal-width bins between min and max (default 50, Data-Juicer's matplotlib default is 50 too). */
  bins?: number;
  width?: number;
  height?: number;
}

/** Equal-width bin counts over [min, max] (the last bin is closed, like numpy.histogram). */
export function histogramCounts(values: readonly number[], bins: number): { edges: number[]; counts: number[] } {
  let min = Number.POSITIVE_INFINITY;
  let max = Number.NEGATIVE_INFINITY;
  for (const v of values) {
    if (!Number.isFinite(v)) continue;
    if (v < min) min = v;
    if (v > max) max = v;
  }
  if (min === Number.POSITIVE_INFINITY) return { edges: [], counts: [] };
  if (min === max) {
    min -= 0.5;
    max += 0.5;
  }
  const width = (max - min) / bins;
  const edges = Array.from({ length: bins + 1 }, (_, i) => min + i * width);
  const counts = new Array<number>(bins).fill(0);
  for (const v of values) {
    if (!Number.isFinite(v)) continue;
    const b = Math.min(bins - 1, Math.floor((v - min) / width));
    counts[b]!++;
  }
  return { edges, counts };
}

const esc = (s: string) => s.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;').replace(/"/g, '&quot;');

/** A short label for an axis value. */
export function tickLabel(v: number): string {
  if (!Number.isFinite(v)) return String(v);
  const a = Math.abs(v);
  if (a !== 0 && (a >= 1e6 || a < 1e-3)) return v.toExponential(2);
  return String(+v.toPrecision(4));
}

/** Histogram (top) and box plot (bottom: whiskers min–max, box 25 %–75 %, median line) of one stat as SVG. */
export function histogramSvg(summary: StatSummary, values: readonly number[], opts: HistogramOptions = {}): string {
  const W = opts.width ?? 640;
  const H = opts.height ?? 360;
  const m = { left: 56, right: 16, top: 28, bottom: 92 };
  const pw = W - m.left - m.right;
  const ph = H - m.top - m.bottom;
  const { edges, counts } = histogramCounts(values, opts.bins ?? 50);
  const out: string[] = [
    `<svg xmlns="http://www.w3.org/2000/svg" width="${W}" height="${H}" viewBox="0 0 ${W} ${H}" font-family="sans-serif" font-size="11">`,
    `<rect width="${W}" height="${H}" fill="white"/>`,
    `<text x="${W / 2}" y="18" text-anchor="middle" font-size="14" font-weight="bold">${esc(summary.key)} (n = ${summary.count})</text>`,
  ];
  if (counts.length === 0) {
    out.push(`<text x="${W / 2}" y="${H / 2}" text-anchor="middle">no values</text></svg>`);
    return out.join('\n');
  }
  const lo = edges[0]!;
  const hi = edges[edges.length - 1]!;
  const xOf = (v: number) => m.left + ((v - lo) / (hi - lo)) * pw;
  const cmax = Math.max(...counts);
  const yOf = (c: number) => m.top + ph - (c / cmax) * ph;
  // Axes and ticks.
  out.push(
    `<line x1="${m.left}" y1="${m.top + ph}" x2="${m.left + pw}" y2="${m.top + ph}" stroke="black"/>`,
    `<line x1="${m.left}" y1="${m.top}" x2="${m.left}" y2="${m.top + ph}" stroke="black"/>`,
  );
  for (let i = 0; i <= 4; i++) {
    const c = (cmax * i) / 4;
    const y = yOf(c);
    out.push(
      `<line x1="${m.left - 4}" y1="${y}" x2="${m.left}" y2="${y}" stroke="black"/>`,
      `<text x="${m.left - 6}" y="${y + 4}" text-anchor="end">${tickLabel(Math.round(c))}</text>`,
    );
    const v = lo + ((hi - lo) * i) / 4;
    const x = xOf(v);
    out.push(
      `<line x1="${x}" y1="${m.top + ph}" x2="${x}" y2="${m.top + ph + 4}" stroke="black"/>`,
      `<text x="${x}" y="${m.top + ph + 16}" text-anchor="middle">${tickLabel(v)}</text>`,
    );
  }
  out.push(
    `<text x="14" y="${m.top + ph / 2}" transform="rotate(-90 14 ${m.top + ph / 2})" text-anchor="middle">samples</text>`,
  );
  // Bars.
  counts.forEach((c, i) => {
    if (c === 0) return;
    const x0 = xOf(edges[i]!);
    const x1 = xOf(edges[i + 1]!);
    const y = yOf(c);
    out.push(
      `<rect x="${x0.toFixed(2)}" y="${y.toFixed(2)}" width="${Math.max(0.5, x1 - x0 - 0.5).toFixed(2)}" height="${(m.top + ph - y).toFixed(2)}" fill="#4c78a8"><title>${tickLabel(edges[i]!)}–${tickLabel(edges[i + 1]!)}: ${c}</title></rect>`,
    );
  });
  // Box plot under the axis.
  const q = Object.values(summary.percentiles);
  const q1 = summary.percentiles['25%'] ?? q[0] ?? summary.min;
  const med = summary.percentiles['50%'] ?? summary.min;
  const q3 = summary.percentiles['75%'] ?? q[q.length - 1] ?? summary.max;
  const by = m.top + ph + 34;
  const bh = 24;
  out.push(
    `<line x1="${xOf(summary.min)}" y1="${by + bh / 2}" x2="${xOf(summary.max)}" y2="${by + bh / 2}" stroke="#333"/>`,
    `<line x1="${xOf(summary.min)}" y1="${by}" x2="${xOf(summary.min)}" y2="${by + bh}" stroke="#333"/>`,
    `<line x1="${xOf(summary.max)}" y1="${by}" x2="${xOf(summary.max)}" y2="${by + bh}" stroke="#333"/>`,
    `<rect x="${xOf(q1)}" y="${by}" width="${Math.max(1, xOf(q3) - xOf(q1))}" height="${bh}" fill="#f2cf5b" stroke="#333"/>`,
    `<line x1="${xOf(med)}" y1="${by}" x2="${xOf(med)}" y2="${by + bh}" stroke="#c0392b" stroke-width="2"/>`,
    `<text x="${m.left}" y="${H - 8}">min ${tickLabel(summary.min)} · 25% ${tickLabel(q1)} · median ${tickLabel(med)} · 75% ${tickLabel(q3)} · max ${tickLabel(summary.max)} · mean ${tickLabel(summary.mean)}</text>`,
    '</svg>',
  );
  return out.join('\n');
}

export interface AnalysisPageInput {
  title: string;
  samples: number;
  errors: number;
  summaries: StatSummary[];
  /** SVG markup per stat key, inlined in the page. */
  svgs: Record<string, string>;
  /** Which filter produced each stat key (shown as a caption). */
  opOfStat?: Record<string, string>;
  /** The correlation heat-map (SVG markup), shown after the table. */
  correlationSvg?: string;
}

/** A standalone HTML page: the describe table, then each stat's histogram + box plot. */
export function analysisHtml(page: AnalysisPageInput): string {
  const cols = page.summaries;
  const pctKeys = [...new Set(cols.flatMap((s) => Object.keys(s.percentiles)))];
  const rows: Array<[string, (s: StatSummary) => number]> = [
    ['count', (s) => s.count],
    ['mean', (s) => s.mean],
    ['std', (s) => s.std],
    ['min', (s) => s.min],
    ...pctKeys.map((k): [string, (s: StatSummary) => number] => [k, (s) => s.percentiles[k] ?? Number.NaN]),
    ['max', (s) => s.max],
  ];
  const table = [
    '<table><thead><tr><th></th>',
    ...cols.map((s) => `<th>${esc(s.key)}</th>`),
    '</tr></thead><tbody>',
    ...rows.map(
      ([name, f]) => `<tr><th>${esc(name)}</th>${cols.map((s) => `<td>${tickLabel(f(s))}</td>`).join('')}</tr>`,
    ),
    '</tbody></table>',
  ].join('');
  const figures = cols
    .map(
      (s) =>
        `<figure id="${esc(s.key)}">${page.svgs[s.key] ?? ''}<figcaption>${esc(s.key)}${page.opOfStat?.[s.key] ? ` — ${esc(page.opOfStat[s.key]!)}` : ''}</figcaption></figure>`,
    )
    .join('\n');
  return `<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>${esc(page.title)}</title>
<style>
body{font-family:sans-serif;margin:24px;color:#222}
table{border-collapse:collapse;font-size:13px;margin-bottom:24px}
th,td{border:1px solid #ccc;padding:4px 8px;text-align:right}
thead th{background:#f0f0f0}
.grid{display:flex;flex-wrap:wrap;gap:16px}
figure{margin:0;border:1px solid #ddd;padding:4px}
figcaption{font-size:12px;color:#555;text-align:center}
</style></head>
<body>
<h1>${esc(page.title)}</h1>
<p>${page.samples} samples analysed${page.errors ? `, ${page.errors} stat computations failed (those samples lack that stat)` : ''}. Nothing was dropped: every filter only computed its stats.</p>
${table}
${page.correlationSvg ? `<figure id="correlation">${page.correlationSvg}<figcaption>correlation of the stats</figcaption></figure>` : ''}
<div class="grid">
${figures}
</div>
</body></html>
`;
}

/**
 * pandas `DataFrame.corr()` (Pearson) of aligned columns: each pair over the rows where both values are finite
 * (NaN marks a sample without that stat); NaN when fewer than 2 such rows or a constant column among them.
 */
export function correlationMatrix(columns: ReadonlyArray<ArrayLike<number>>): number[][] {
  const k = columns.length;
  const out = Array.from({ length: k }, () => new Array<number>(k).fill(Number.NaN));
  for (let a = 0; a < k; a++) {
    for (let b = a; b < k; b++) {
      const x = columns[a]!;
      const y = columns[b]!;
      const n = Math.min(x.length, y.length);
      let m = 0;
      let sx = 0;
      let sy = 0;
      for (let i = 0; i < n; i++) {
        if (Number.isFinite(x[i]!) && Number.isFinite(y[i]!)) {
          m++;
          sx += x[i]!;
          sy += y[i]!;
        }
      }
      if (m < 2) continue;
      const mx = sx / m;
      const my = sy / m;
      let cxy = 0;
      let cxx = 0;
      let cyy = 0;
      for (let i = 0; i < n; i++) {
        if (Number.isFinite(x[i]!) && Number.isFinite(y[i]!)) {
          const dx = x[i]! - mx;
          const dy = y[i]! - my;
          cxy += dx * dy;
          cxx += dx * dx;
          cyy += dy * dy;
        }
      }
      const r = cxx > 0 && cyy > 0 ? Math.max(-1, Math.min(1, cxy / Math.sqrt(cxx * cyy))) : Number.NaN;
      out[a]![b] = r;
      out[b]![a] = r;
    }
  }
  return out;
}

/** Diverging colour for a correlation in [-1, 1]: blue (-1), white (0), red (+1); grey for NaN. */
function correlationColour(r: number): string {
  if (!Number.isFinite(r)) return '#dddddd';
  const t = Math.abs(r);
  const mix = (c: number) => Math.round(255 + (c - 255) * t);
  return r >= 0 ? `rgb(${mix(178)},${mix(24)},${mix(43)})` : `rgb(${mix(33)},${mix(102)},${mix(172)})`;
}

/** The correlation heat-map of the analyzer (one cell per pair of stats, the coefficient written in it) as SVG. */
export function correlationSvg(keys: readonly string[], matrix: readonly (readonly number[])[]): string {
  const cell = 44;
  const labelW = 8 + 7 * Math.max(4, ...keys.map((k) => k.length));
  const left = labelW;
  const top = 40;
  const bottom = labelW;
  const legendW = 70;
  const W = Math.max(300, left + cell * keys.length + legendW); // room for the title
  const H = top + cell * keys.length + bottom;
  const out: string[] = [
    `<svg xmlns="http://www.w3.org/2000/svg" width="${W}" height="${H}" viewBox="0 0 ${W} ${H}" font-family="sans-serif" font-size="11">`,
    `<rect width="${W}" height="${H}" fill="white"/>`,
    `<text x="${W / 2}" y="20" text-anchor="middle" font-size="14" font-weight="bold">correlation of the stats (Pearson)</text>`,
  ];
  keys.forEach((ka, a) => {
    const y = top + a * cell;
    out.push(`<text x="${left - 6}" y="${y + cell / 2 + 4}" text-anchor="end">${esc(ka)}</text>`);
    const x = left + a * cell + cell / 2;
    const ly = top + keys.length * cell + 6;
    out.push(`<text x="${x}" y="${ly}" text-anchor="end" transform="rotate(-60 ${x} ${ly})">${esc(ka)}</text>`);
    keys.forEach((kb, b) => {
      const r = matrix[a]?.[b] ?? Number.NaN;
      const cx = left + b * cell;
      out.push(
        `<rect x="${cx}" y="${y}" width="${cell}" height="${cell}" fill="${correlationColour(r)}" stroke="white"><title>${esc(ka)} / ${esc(kb)}: ${Number.isFinite(r) ? r.toFixed(4) : 'NaN'}</title></rect>`,
        `<text x="${cx + cell / 2}" y="${y + cell / 2 + 4}" text-anchor="middle" fill="${Math.abs(r) > 0.6 ? 'white' : 'black'}">${Number.isFinite(r) ? r.toFixed(2) : '–'}</text>`,
      );
    });
  });
  // Legend: -1 … 1.
  const lx = left + keys.length * cell + 20;
  const lh = Math.max(60, keys.length * cell);
  for (let i = 0; i < 20; i++) {
    const r = 1 - (2 * i) / 19;
    out.push(
      `<rect x="${lx}" y="${(top + (i * lh) / 20).toFixed(2)}" width="14" height="${(lh / 20 + 0.5).toFixed(2)}" fill="${correlationColour(r)}"/>`,
    );
  }
  out.push(
    `<text x="${lx + 18}" y="${top + 8}">1</text>`,
    `<text x="${lx + 18}" y="${top + lh / 2 + 4}">0</text>`,
    `<text x="${lx + 18}" y="${top + lh}">-1</text>`,
    '</svg>',
  );
  return out.join('\n');
}
