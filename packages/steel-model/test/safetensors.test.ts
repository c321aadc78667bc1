import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import {
  bf16ToF32,
  encodeFloats,
  encodeHeader,
  f16ToF32,
  f32ToBf16,
  MAX_HEADER_BYTES,
  SafetensorsError,
  SafetensorsFile,
  writeSafetensors,
} from '../src/index.js';
import { FIXTURES } from './fixtures.js';

const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'steel-st-'));
afterAll(() => fs.rmSync(tmp, { recursive: true, force: true }));

/** A file made by hand: 8-byte LE header length (or a forged one), header text, data bytes. */
function handMade(name: string, header: string | Uint8Array, data = new Uint8Array(0), forgedLength?: bigint): string {
  const head = typeof header === 'string' ? Buffer.from(header, 'utf8') : Buffer.from(header);
  const len = Buffer.alloc(8);
  len.writeBigUInt64LE(forgedLength ?? BigInt(head.length));
  const file = path.join(tmp, name);
  fs.writeFileSync(file, Buffer.concat([len, head, Buffer.from(data)]));
  return file;
}

async function openError(file: string): Promise<string> {
  try {
    const f = await SafetensorsFile.open(file);
    await f.close();
  } catch (err) {
    expect(err).toBeInstanceOf(SafetensorsError);
    return (err as Error).message;
  }
  throw new Error(`${file} opened without error`);
}

describe('round trip', () => {
  it('writes F32 / F16 / BF16 and reads back float32 (exact where representable)', async () => {
    const values = Float32Array.from([1, -2.5, 0.1, 65504, 3.140625, -0, 1e-8]);
    const file = path.join(tmp, 'rt.safetensors');
    await writeSafetensors(
      file,
      [
        { name: 'a', shape: [7], dtype: 'F32', data: values },
        { name: 'b', shape: [7], dtype: 'F16', data: values },
        { name: 'c', shape: [1, 7], dtype: 'BF16', data: () => values },
        { name: 'empty', shape: [0, 3], dtype: 'F32', data: new Float32Array(0) },
      ],
      { metadata: { format: 'pt' } },
    );
    const bytes = fs.readFileSync(file);
    const headerLen = Number(bytes.readBigUInt64LE(0));
    expect(headerLen % 8).toBe(0); // padded like the Rust writer
    const f = await SafetensorsFile.open(file);
    try {
      expect(f.metadata).toEqual({ format: 'pt' });
      expect(f.tensors.map((t) => [t.name, t.dtype, t.shape])).toEqual([
        ['a', 'F32', [7]],
        ['b', 'F16', [7]],
        ['c', 'BF16', [1, 7]],
        ['empty', 'F32', [0, 3]],
      ]);
      expect(await f.readFloat32('a')).toEqual(values);
      const b = await f.readFloat32('b');
      expect([...b.subarray(0, 2)]).toEqual([1, -2.5]);
      expect(b[2]).toBeCloseTo(0.1, 3);
      expect(b[3]).toBe(65504);
      const c = await f.readFloat32('c');
      expect(c[4]).toBe(3.140625);
      expect(c[2]).toBeCloseTo(0.1, 2);
      expect((await f.readFloat32('empty')).length).toBe(0);
      await expect(f.readFloat32('nope')).rejects.toThrow(/no tensor named "nope"/);
    } finally {
      await f.close();
    }
  });

  it('reads the python-written BF16, F16 and F32 fixture files', async () => {
    for (const [name, dtype] of [
      ['steel-tiny', 'BF16'],
      ['v3-gqa-slots', 'F16'],
      ['v1-raw', 'F32'],
    ] as const) {
      const f = await SafetensorsFile.open(path.join(FIXTURES, name, 'model.safetensors'));
      try {
        expect(f.metadata).toEqual({ format: 'pt' });
        expect(new Set(f.tensors.map((t) => t.dtype))).toEqual(new Set([dtype]));
        const norm = await f.readFloat32('model.norm.weight');
        // RMSNorm weights were drawn around 1 (1 + 0.2 N(0,1)): a decoding error would not look like that.
        const mean = norm.reduce((a, b) => a + b, 0) / norm.length;
        expect(mean).toBeGreaterThan(0.85);
        expect(mean).toBeLessThan(1.15);
      } finally {
        await f.close();
      }
    }
  });

  it('rejects duplicate and reserved names when writing', () => {
    expect(() =>
      encodeHeader([
        { name: 'x', shape: [1], dtype: 'F32' },
        { name: 'x', shape: [1], dtype: 'F32' },
      ]),
    ).toThrow(/duplicate/);
    expect(() => encodeHeader([{ name: '__metadata__', shape: [1], dtype: 'F32' }])).toThrow(/reserved/);
  });
});

describe('corrupt and hostile files give a clear SafetensorsError', () => {
  const t = (h: object) => JSON.stringify(h);
  const four = new Uint8Array(4);

  const cases: [string, () => string, RegExp][] = [
    [
      'empty file',
      () => {
        const f = path.join(tmp, 'empty.st');
        fs.writeFileSync(f, new Uint8Array(0));
        return f;
      },
      /0 bytes is too small/,
    ],
    ['zero-length header', () => handMade('zero.st', ''), /not valid JSON/],
    [
      'only 3 bytes',
      () => {
        const f = path.join(tmp, 'three.st');
        fs.writeFileSync(f, Buffer.from([1, 2, 3]));
        return f;
      },
      /3 bytes is too small/,
    ],
    [
      'header length 2^64-1 (no allocation attempted)',
      () => handMade('huge.st', '{}', undefined, 2n ** 64n - 1n),
      /exceeds the 100000000-byte limit/,
    ],
    [
      'header length past the end of the file',
      () => handMade('past.st', '{}', undefined, 1000n),
      /header length 1000 runs past the end of the file/,
    ],
    ['invalid UTF-8', () => handMade('utf8.st', new Uint8Array([0x7b, 0xff, 0x7d])), /not valid UTF-8/],
    ['invalid JSON', () => handMade('json.st', '{"a": '), /not valid JSON/],
    ['JSON array', () => handMade('arr.st', '[]'), /not an object/],
    [
      'unknown dtype',
      () => handMade('dtype.st', t({ a: { dtype: 'F128', shape: [1], data_offsets: [0, 4] } }), four),
      /dtype "F128" is not one of/,
    ],
    [
      'negative dim',
      () => handMade('shape.st', t({ a: { dtype: 'F32', shape: [-1], data_offsets: [0, 4] } }), four),
      /shape \[-1\]/,
    ],
    [
      'fractional dim',
      () => handMade('shape2.st', t({ a: { dtype: 'F32', shape: [0.5], data_offsets: [0, 4] } }), four),
      /shape \[0.5\]/,
    ],
    [
      'offsets reversed',
      () => handMade('rev.st', t({ a: { dtype: 'F32', shape: [1], data_offsets: [4, 0] } }), four),
      /0 <= begin <= end/,
    ],
    [
      'offsets past the data',
      () => handMade('off.st', t({ a: { dtype: 'F32', shape: [2], data_offsets: [0, 8] } }), four),
      /end 8 is past the data section \(4 bytes\)/,
    ],
    [
      'dtype x shape != byte length',
      () => handMade('len.st', t({ a: { dtype: 'F32', shape: [2], data_offsets: [0, 4] } }), four),
      /needs 8 bytes but data_offsets span 4/,
    ],
    [
      'shape product overflowing',
      () => handMade('ovf.st', t({ a: { dtype: 'F32', shape: [2 ** 40, 2 ** 40], data_offsets: [0, 4] } }), four),
      /too large/,
    ],
    [
      'overlapping tensors',
      () =>
        handMade(
          'overlap.st',
          t({
            a: { dtype: 'F32', shape: [1], data_offsets: [0, 4] },
            b: { dtype: 'F32', shape: [1], data_offsets: [0, 4] },
          }),
          four,
        ),
      /overlaps/,
    ],
    [
      'a hole between tensors',
      () =>
        handMade(
          'hole.st',
          t({
            a: { dtype: 'F32', shape: [1], data_offsets: [0, 4] },
            b: { dtype: 'F32', shape: [1], data_offsets: [8, 12] },
          }),
          new Uint8Array(12),
        ),
      /unindexed bytes 4..8/,
    ],
    [
      'trailing bytes',
      () => handMade('tail.st', t({ a: { dtype: 'F32', shape: [1], data_offsets: [0, 4] } }), new Uint8Array(9)),
      /9 bytes but the tensors cover 4/,
    ],
    [
      'non-string metadata',
      () => handMade('meta.st', t({ __metadata__: { format: 1 } })),
      /__metadata__.format is not a string/,
    ],
    ['entry not an object', () => handMade('entry.st', t({ a: 5 })), /tensor "a": entry is not an object/],
  ];
  for (const [label, make, message] of cases) {
    it(label, async () => {
      const file = make();
      const msg = await openError(file);
      expect(msg).toMatch(message);
      expect(msg.startsWith(file)).toBe(true); // names the file
    });
  }

  it('a custom header cap is honoured', async () => {
    const file = handMade('cap.st', `{}${' '.repeat(62)}`);
    await expect(SafetensorsFile.open(file, { maxHeaderBytes: 16 })).rejects.toThrow(/exceeds the 16-byte limit/);
    expect(MAX_HEADER_BYTES).toBe(100_000_000);
  });

  it('integer tensors are listed but not converted by readFloat32', async () => {
    const file = handMade('int.st', t({ ids: { dtype: 'I64', shape: [1], data_offsets: [0, 8] } }), new Uint8Array(8));
    const f = await SafetensorsFile.open(file);
    try {
      expect(f.info('ids').dtype).toBe('I64');
      expect((await f.readBytes('ids')).length).toBe(8);
      await expect(f.readFloat32('ids')).rejects.toThrow(/dtype I64; readFloat32 reads F64, F32, F16, BF16/);
    } finally {
      await f.close();
    }
  });

  it('a file truncated after open is an error, not garbage', async () => {
    const file = path.join(tmp, 'trunc.st');
    await writeSafetensors(file, [{ name: 'a', shape: [1024], dtype: 'F32', data: new Float32Array(1024) }]);
    const f = await SafetensorsFile.open(file);
    try {
      fs.truncateSync(file, 200);
      await expect(f.readFloat32('a')).rejects.toThrow(/file ended while reading/);
    } finally {
      await f.close();
    }
  });
});

describe('bulk conversion paths agree with the scalar definitions', () => {
  it('encodeFloats BF16 rounds exactly like f32ToBf16 (random, ties, NaN, Inf, subnormals)', () => {
    const values = new Float32Array(20000);
    const bits = new Uint32Array(values.buffer);
    for (let i = 0; i < bits.length; i++) bits[i] = (Math.imul(i, 2654435761) ^ (i << 7)) >>> 0;
    values.set([1 + 2 ** -8, 1 + 3 * 2 ** -8, Number.NaN, Number.POSITIVE_INFINITY, -0, 1e-40, 3.4e38], 0);
    const encoded = new DataView(encodeFloats(values, 'BF16').buffer);
    for (let i = 0; i < values.length; i++)
      expect(encoded.getUint16(i * 2, true), `value ${i}`).toBe(f32ToBf16(values[i]!));
  });

  it('reading every float16 and bfloat16 bit pattern matches f16ToF32 / bf16ToF32', async () => {
    const raw = new Uint8Array(65536 * 2);
    const view = new DataView(raw.buffer);
    for (let i = 0; i < 65536; i++) view.setUint16(i * 2, i, true);
    const header = JSON.stringify({
      h: { dtype: 'F16', shape: [65536], data_offsets: [0, 131072] },
      b: { dtype: 'BF16', shape: [65536], data_offsets: [131072, 262144] },
    });
    const data = new Uint8Array(262144);
    data.set(raw, 0);
    data.set(raw, 131072);
    const f = await SafetensorsFile.open(handMade('all16.st', header, data));
    try {
      const h = await f.readFloat32('h');
      const b = await f.readFloat32('b');
      for (let i = 0; i < 65536; i++) {
        expect(Object.is(h[i], Math.fround(f16ToF32(i))) || (Number.isNaN(h[i]!) && Number.isNaN(f16ToF32(i)))).toBe(
          true,
        );
        expect(Object.is(b[i], bf16ToF32(i)) || (Number.isNaN(b[i]!) && Number.isNaN(bf16ToF32(i)))).toBe(true);
      }
    } finally {
      await f.close();
    }
  });
});
