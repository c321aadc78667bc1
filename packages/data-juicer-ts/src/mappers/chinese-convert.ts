import * as OpenCC from 'opencc-js';
import { Mapper } from '../op.js';
import type { ParamValues } from '../params.js';
import type { OpDefinition } from '../registry.js';

/** OpenCC config name -> opencc-js locale pair. */
export const OPENCC_MODES: Readonly<Record<string, { from: string; to: string }>> = {
  s2t: { from: 'cn', to: 't' },
  t2s: { from: 't', to: 'cn' },
  s2tw: { from: 'cn', to: 'tw' },
  tw2s: { from: 'tw', to: 'cn' },
  s2hk: { from: 'cn', to: 'hk' },
  hk2s: { from: 'hk', to: 'cn' },
  s2twp: { from: 'cn', to: 'twp' },
  tw2sp: { from: 'twp', to: 'cn' },
  t2tw: { from: 't', to: 'tw' },
  tw2t: { from: 'tw', to: 't' },
  hk2t: { from: 'hk', to: 't' },
  t2hk: { from: 't', to: 'hk' },
  t2jp: { from: 't', to: 'jp' },
  jp2t: { from: 'jp', to: 't' },
};

// One converter per mode, built on first use (the dictionaries are large).
const converters = new Map<string, (text: string) => string>();

function converterFor(mode: string): (text: string) => string {
  let conv = converters.get(mode);
  if (!conv) {
    const pair = OPENCC_MODES[mode]!;
    conv = OpenCC.Converter(pair);
    converters.set(mode, conv);
  }
  return conv;
}

/** Convert between Simplified/Traditional (standard, Taiwan, Hong Kong) Chinese and Japanese Shinjitai. */
export class ChineseConvertMapper extends Mapper {
  private readonly convert: (text: string) => string;
  constructor(params: ParamValues) {
    super('chinese_convert_mapper', params);
    this.convert = converterFor(params.mode as string);
  }
  processText(text: string): string {
    return this.convert(text);
  }
}

export const chineseConvertMapper: OpDefinition = {
  name: 'chinese_convert_mapper',
  kind: 'mapper',
  description: 'OpenCC conversion (opencc-js dictionaries) between Chinese variants.',
  params: {
    mode: { type: 'string', default: 's2t', oneOf: Object.keys(OPENCC_MODES), description: 'OpenCC config name' },
  },
  create: (p) => new ChineseConvertMapper(p),
};
