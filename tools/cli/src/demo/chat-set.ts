// The demo's SFT data: a small synthetic instruction set with checkable answers (@steel/trainer's
// syntheticInstructions), cleaned the way a user cleans real chat data: Data-Juicer mappers on every message and
// filters on the answers (@steel/data-juicer-ts ops called on strings), then written as jsonl.
import fs from 'node:fs';
import path from 'node:path';
import { createOp, type Filter, type Mapper } from '@steel/data-juicer-ts';
import { type SyntheticExample, type SyntheticTask, syntheticInstructions, toSftRecords } from '@steel/trainer';

export const DEMO_CHAT_TASKS: SyntheticTask[] = ['last', 'parity'];

export interface DemoChatSet {
  train: string;
  heldout: string;
  heldoutExamples: SyntheticExample[];
  /** Per op: records changed (mappers) or dropped (filters). */
  ops: { op: string; changed?: number; dropped?: number }[];
  records: number;
}

export function writeDemoChatSet(dir: string, n: { train: number; heldout: number }): DemoChatSet {
  const { train, heldout } = syntheticInstructions({
    tasks: DEMO_CHAT_TASKS,
    digits: [3, 5],
    train: n.train,
    heldout: n.heldout,
  });
  const mappers = [createOp<Mapper>('fix_unicode_mapper'), createOp<Mapper>('whitespace_normalization_mapper')];
  const answerFilter = createOp<Filter>('text_length_filter', { min_len: 1, max_len: 64 });
  const counts = new Map<string, { changed: number; dropped: number }>();
  const count = (op: string) => counts.get(op) ?? counts.set(op, { changed: 0, dropped: 0 }).get(op)!;
  const clean = (examples: SyntheticExample[]) =>
    toSftRecords(examples).filter((r) => {
      for (const m of r.messages)
        for (const op of mappers) {
          const out = op.processText(m.content);
          if (out !== m.content) count(op.name).changed++;
          m.content = out;
        }
      const keep = answerFilter.keepText(r.messages.at(-1)!.content);
      if (!keep) count(answerFilter.name).dropped++;
      return keep;
    });
  fs.mkdirSync(dir, { recursive: true });
  const write = (file: string, rows: object[]) => {
    fs.writeFileSync(file, `${rows.map((r) => JSON.stringify(r)).join('\n')}\n`);
    return file;
  };
  const trainRecords = clean(train);
  const out: DemoChatSet = {
    train: write(path.join(dir, 'sft-train.jsonl'), trainRecords),
    heldout: write(path.join(dir, 'sft-heldout.jsonl'), clean(heldout)),
    heldoutExamples: heldout,
    ops: [
      ...mappers.map((op) => ({ op: op.name, changed: count(op.name).changed })),
      { op: answerFilter.name, dropped: count(answerFilter.name).dropped },
    ],
    records: trainRecords.length,
  };
  return out;
}
