import { fixText, type NormalizationForm } from '../ftfy.js';
import { Mapper } from '../op.js';
import type { ParamValues } from '../params.js';
import type { OpDefinition } from '../registry.js';

export class FixUnicodeMapper extends Mapper {
  private readonly form: NormalizationForm;
  constructor(params: ParamValues) {
    super('fix_unicode_mapper', params);
    const n = params.normalization as string | null;
    this.form = (n === null || n === '' ? 'NFC' : n.toUpperCase()) as NormalizationForm;
  }
  processText(text: string): string {
    return fixText(text, this.form);
  }
}

export const fixUnicodeMapper: OpDefinition = {
  name: 'fix_unicode_mapper',
  kind: 'mapper',
  description: 'ftfy-style repair: mojibake, HTML entities, width/quote/ligature/line-break fixes, then normalization.',
  params: {
    normalization: {
      type: 'string',
      default: null,
      nullable: true,
      oneOf: ['NFC', 'NFKC', 'NFD', 'NFKD'],
      caseInsensitive: true,
      description: 'Unicode normalization form (null = NFC)',
    },
  },
  create: (p) => new FixUnicodeMapper(p),
};
