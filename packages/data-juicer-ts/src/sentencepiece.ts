// SentencePiece pieces (encode_as_pieces) from a user's .model file, through the WebAssembly build of Google's
// sentencepiece in @agnai/sentencepiece-js. Loading is asynchronous; ops that need a model load it in `prepare()`.

import { existsSync } from 'node:fs';
import { createRequire } from 'node:module';
import { ParamError } from './params.js';

interface WasmProcessor {
  load(path: string): Promise<void>;
  encodePieces(text: string): string[];
}

const require = createRequire(import.meta.url);
const cache = new Map<string, Promise<SentencePieceModel>>();

export class SentencePieceModel {
  private readonly spp: WasmProcessor;
  readonly path: string;

  private constructor(path: string, spp: WasmProcessor) {
    this.path = path;
    this.spp = spp;
  }

  /** Load (once per path) a SentencePiece `.model`. `param` names the op parameter for error messages. */
  static load(path: string, param = 'sp_model_path'): Promise<SentencePieceModel> {
    let p = cache.get(path);
    if (!p) {
      if (!existsSync(path)) throw new ParamError(`${param}: no such file: ${path}`);
      p = (async () => {
        const { SentencePieceProcessor } = require('@agnai/sentencepiece-js') as {
          SentencePieceProcessor: new () => WasmProcessor;
        };
        const spp = new SentencePieceProcessor();
        try {
          await spp.load(path);
        } catch (e) {
          throw new ParamError(
            `${param}: cannot load SentencePiece model ${path}: ${String((e as Error)?.message ?? e)}`,
          );
        }
        return new SentencePieceModel(path, spp);
      })();
      cache.set(path, p);
      p.catch(() => cache.delete(path));
    }
    return p;
  }

  /** sentencepiece's encode_as_pieces. */
  encodeAsPieces(text: string): string[] {
    return text === '' ? [] : this.spp.encodePieces(text);
  }
}
