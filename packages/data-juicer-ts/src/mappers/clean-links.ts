import type { OpDefinition } from '../registry.js';
import { REGEX_CLEAN_PARAMS, RegexCleanMapper } from './regex-clean.js';

/** Gruber's liberal URL pattern as Data-Juicer uses it (case-insensitive, Unicode \w). */
export const LINKS_PATTERN =
  '(?i)\\b(' +
  '(?:[a-z][\\w-]+:(?:\\/{1,3}|[a-z0-9%])|www\\d{0,3}[.]|[a-z0-9.\\-]+[.][a-z]{2,4}\\/)' +
  '(?:[^\\s()<>]+|\\(([^\\s()<>]+|(\\([^\\s()<>]+\\)))*\\))+' +
  '(?:\\(([^\\s()<>]+|(\\([^\\s()<>]+\\)))*\\)|[^\\s`!()\\[\\]{};:\\\'\\".,<>?«»“”‘’])' +
  ')';

export const cleanLinksMapper: OpDefinition = {
  name: 'clean_links_mapper',
  kind: 'mapper',
  description: 'Remove URLs and URL-like runs (or any `pattern`), replacing them with `repl`.',
  params: REGEX_CLEAN_PARAMS,
  // Precheck: every match has a scheme ':', a 'www' prefix or the '/' after a host.tld.
  create: (p) => new RegexCleanMapper('clean_links_mapper', p, LINKS_PATTERN, 's', /[:/]|www/i),
};
