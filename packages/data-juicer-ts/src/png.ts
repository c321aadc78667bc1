// PNG copies of the analyzer's SVG plots, rasterised by resvg (@resvg/resvg-js: a prebuilt binary from the npm
// registry, an optional dependency). Text uses the system's fonts (DejaVu Sans, else any sans-serif font found).

import { createRequire } from 'node:module';

interface ResvgModule {
  Resvg: new (
    svg: string,
    opts: { font: { loadSystemFonts: boolean; defaultFontFamily: string } },
  ) => { render(): { asPng(): Uint8Array } };
}

let resvg: ResvgModule | undefined;

/** Rasterise one SVG document to PNG bytes (1 SVG unit = 1 pixel). */
export function svgToPng(svg: string): Uint8Array {
  if (!resvg) {
    try {
      resvg = createRequire(import.meta.url)('@resvg/resvg-js') as ResvgModule;
    } catch (e) {
      throw new Error(
        `PNG plots need @resvg/resvg-js (an optional dependency; install it with npm i @resvg/resvg-js), which failed to load: ${(e as Error).message}`,
      );
    }
  }
  return new resvg.Resvg(svg, { font: { loadSystemFonts: true, defaultFontFamily: 'DejaVu Sans' } }).render().asPng();
}
