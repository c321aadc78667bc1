// Progress on stderr for long work. A bar when stderr is a terminal, a periodic line otherwise (CI logs),
// nothing with --quiet or --json-only runs that ask for silence.
import cliProgress from 'cli-progress';

export interface Progress {
  /** Adds `n` units (rows, tokens, files...) done; `total` may grow while the work is discovered. */
  tick(n?: number): void;
  setTotal(total: number): void;
  /** Finishes the bar and prints nothing else. Safe to call twice. */
  done(): void;
}

export interface ProgressOptions {
  label: string;
  unit?: string;
  total?: number;
  /** Silence everything (for --quiet). */
  quiet?: boolean;
}

const LINE_EVERY_MS = 5000;

export function createProgress(opts: ProgressOptions): Progress {
  const unit = opts.unit ?? 'items';
  if (opts.quiet) return { tick() {}, setTotal() {}, done() {} };
  if (!process.stderr.isTTY) {
    // Non-interactive: one line every few seconds, and a final line.
    let count = 0;
    let total = opts.total ?? 0;
    const start = Date.now();
    let last = start;
    let finished = false;
    const line = () => {
      const secs = (Date.now() - start) / 1000;
      const rate = secs > 0 ? (count / secs).toFixed(0) : '-';
      process.stderr.write(`${opts.label}: ${count}${total ? `/${total}` : ''} ${unit} (${rate} ${unit}/s)\n`);
    };
    return {
      tick(n = 1) {
        count += n;
        const now = Date.now();
        if (now - last >= LINE_EVERY_MS) {
          last = now;
          line();
        }
      },
      setTotal(t) {
        total = t;
      },
      done() {
        if (finished) return;
        finished = true;
        if (Date.now() - start >= LINE_EVERY_MS) line();
      },
    };
  }
  const bar = new cliProgress.SingleBar(
    {
      format: `${opts.label} [{bar}] {value}/{total} ${unit} | {rate} ${unit}/s | {duration_formatted}`,
      stream: process.stderr,
      hideCursor: true,
      clearOnComplete: false,
      etaBuffer: 50,
    },
    cliProgress.Presets.shades_classic,
  );
  const start = Date.now();
  let value = 0;
  let finished = false;
  bar.start(opts.total ?? 0, 0, { rate: '0' });
  return {
    tick(n = 1) {
      value += n;
      const secs = (Date.now() - start) / 1000;
      bar.update(value, { rate: secs > 0 ? (value / secs).toFixed(0) : '0' });
      if (!opts.total && value > bar.getTotal()) bar.setTotal(value);
    },
    setTotal(t) {
      bar.setTotal(t);
    },
    done() {
      if (finished) return;
      finished = true;
      bar.stop();
    },
  };
}
