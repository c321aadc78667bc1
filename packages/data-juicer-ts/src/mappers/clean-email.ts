import type { OpDefinition } from '../registry.js';
import { REGEX_CLEAN_PARAMS, RegexCleanMapper } from './regex-clean.js';

/** Data-Juicer's default email pattern (DOTALL, no IGNORECASE: the domain must be lower-case). */
export const EMAIL_PATTERN = '[A-Za-z0-9.\\-+_]+@[a-z0-9.\\-+_]+\\.[a-z]+';

export const cleanEmailMapper: OpDefinition = {
  name: 'clean_email_mapper',
  kind: 'mapper',
  description: 'Remove email addresses (or any `pattern`), replacing them with `repl`.',
  params: REGEX_CLEAN_PARAMS,
  create: (p) => new RegexCleanMapper('clean_email_mapper', p, EMAIL_PATTERN, 's', /@/),
};
