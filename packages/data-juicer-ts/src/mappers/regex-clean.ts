// Shared shape of clean_email / clean_ip / clean_links: a Python pattern (default or the user's) replaced by `repl`.

import { Mapper } from '../op.js';
import type { ParamSchema, ParamValues } from '../params.js';
import { compilePyRegex, pyReplacer, stripRawPrefix } from '../pyregex.js';

export const REGEX_CLEAN_PARAMS: ParamSchema = {
  pattern: {
    type: 'string',
    default: null,
    nullable: true,
    description: "Python regex to remove (null = the op's default pattern); r'...' quoting is stripped",
  },
  repl: { type: 'string', default: '', description: 'replacement for every match' },
};

/** Replace every match of a Python-syntax pattern; the default pattern is used when `pattern` is null. */
export class RegexCleanMapper extends Mapper {
  private readonly re: RegExp;
  private readonly repl: (match: string, ...rest: unknown[]) => string;

  /** A cheap test every match of the default pattern needs (skips the full regex on most texts). */
  private readonly precheck: RegExp | null;

  constructor(name: string, params: ParamValues, defaultPattern: string, defaultFlags: string, precheck?: RegExp) {
    super(name, params);
    const user = params.pattern as string | null;
    this.re = user === null ? compilePyRegex(defaultPattern, defaultFlags) : compilePyRegex(stripRawPrefix(user), 's');
    this.precheck = user === null && precheck ? precheck : null;
    // Python's re.sub template semantics: \1, \g<name> and backslash escapes in repl are processed.
    this.repl = pyReplacer(params.repl as string);
  }

  processText(text: string): string {
    if (this.precheck && !this.precheck.test(text)) return text;
    this.re.lastIndex = 0;
    if (!this.re.test(text)) return text;
    this.re.lastIndex = 0;
    return text.replace(this.re, this.repl);
  }
}
