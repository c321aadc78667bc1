// A dependency-free SVG loss curve from metrics.jsonl (train loss line, eval loss dots), written next to it.
import { readFileSync, writeFileSync } from 'node:fs';

export interface LossPoint {
  step: number;
  loss: number;
  eval_loss?: number;
}

export function lossCurveSvg(points: LossPoint[], title = 'loss'): string {
  const W = 720;
  const H = 360;
  const m = { l: 60, r: 20, t: 30, b: 40 };
  const ys = points
    .flatMap((p) => (p.eval_loss !== undefined ? [p.loss, p.eval_loss] : [p.loss]))
    .filter(Number.isFinite);
  if (!points.length || !ys.length)
    return `<svg xmlns="http://www.w3.org/2000/svg" width="${W}" height="${H}"></svg>\n`;
  const x0 = points[0]!.step;
  const x1 = Math.max(points[points.length - 1]!.step, x0 + 1);
  let y0 = Math.min(...ys);
  let y1 = Math.max(...ys);
  if (y1 - y0 < 1e-9) {
    y0 -= 0.5;
    y1 += 0.5;
  }
  const X = (s: number) => m.l + ((s - x0) / (x1 - x0)) * (W - m.l - m.r);
  const Y = (v: number) => H - m.b - ((v - y0) / (y1 - y0)) * (H - m.t - m.b);
  const line = points
    .filter((p) => Number.isFinite(p.loss))
    .map((p, i) => `${i ? 'L' : 'M'}${X(p.step).toFixed(1)},${Y(p.loss).toFixed(1)}`)
    .join('');
  const dots = points
    .filter((p) => p.eval_loss !== undefined && Number.isFinite(p.eval_loss))
    .map((p) => `<circle cx="${X(p.step).toFixed(1)}" cy="${Y(p.eval_loss!).toFixed(1)}" r="3" fill="#d62728"/>`)
    .join('');
  const ticks = [0, 0.25, 0.5, 0.75, 1]
    .map((f) => {
      const v = y0 + f * (y1 - y0);
      return `<text x="${m.l - 6}" y="${Y(v) + 4}" text-anchor="end" font-size="11">${v.toFixed(3)}</text><line x1="${m.l}" x2="${W - m.r}" y1="${Y(v)}" y2="${Y(v)}" stroke="#eee"/>`;
    })
    .join('');
  return (
    `<svg xmlns="http://www.w3.org/2000/svg" width="${W}" height="${H}" font-family="sans-serif">` +
    `<rect width="100%" height="100%" fill="white"/>${ticks}` +
    `<text x="${W / 2}" y="18" text-anchor="middle" font-size="13">${title}</text>` +
    `<text x="${m.l}" y="${H - 12}" font-size="11">step ${x0}</text>` +
    `<text x="${W - m.r}" y="${H - 12}" text-anchor="end" font-size="11">step ${x1}</text>` +
    `<path d="${line}" fill="none" stroke="#1f77b4" stroke-width="1.5"/>${dots}</svg>\n`
  );
}

/** Reads metrics.jsonl and writes the SVG (lines that do not parse are skipped). */
export function writeLossPlot(metricsPath: string, svgPath: string): void {
  const points: LossPoint[] = [];
  for (const l of readFileSync(metricsPath, 'utf8').split('\n')) {
    if (!l.trim()) continue;
    try {
      const r = JSON.parse(l) as LossPoint;
      points.push(r);
    } catch {
      // a line cut by a kill
    }
  }
  writeFileSync(svgPath, lossCurveSvg(points, 'training loss (line), eval loss (dots)'));
}
