import type { OpDefinition } from '../registry.js';
import { REGEX_CLEAN_PARAMS, RegexCleanMapper } from './regex-clean.js';

/** Data-Juicer's default: IPv4 (no boundaries, so parts of longer numbers match) or full 8-group IPv6. */
export const IP_PATTERN =
  '(?:(?:1[0-9][0-9]\\.)|(?:2[0-4][0-9]\\.)|(?:25[0-5]\\.)|(?:[1-9][0-9]\\.)|(?:[0-9]\\.)){3}' +
  '(?:(?:1[0-9][0-9])|(?:2[0-4][0-9])|(?:25[0-5])|(?:[1-9][0-9])|(?:[0-9]))' +
  '|([\\da-fA-F]{1,4}:){7}[\\da-fA-F]{1,4}';

export const cleanIpMapper: OpDefinition = {
  name: 'clean_ip_mapper',
  kind: 'mapper',
  description: 'Remove IPv4/IPv6 addresses (or any `pattern`), replacing them with `repl`.',
  params: REGEX_CLEAN_PARAMS,
  create: (p) => new RegexCleanMapper('clean_ip_mapper', p, IP_PATTERN, 's', /[0-9]\.|:/),
};
