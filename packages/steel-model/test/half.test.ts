import { describe, expect, it } from 'vitest';
import { bf16ToF32, f16ToF32, f32ToBf16, f32ToF16 } from '../src/index.js';

// Bit patterns from the IEEE 754 binary16 / bfloat16 definitions.
describe('float16', () => {
  const known: [number, number][] = [
    [1, 0x3c00],
    [-2, 0xc000],
    [65504, 0x7bff], // largest finite
    [2 ** -14, 0x0400], // smallest normal
    [2 ** -24, 0x0001], // smallest subnormal
    [0.333251953125, 0x3555],
    [0, 0x0000],
  ];
  it('encodes and decodes exact values', () => {
    for (const [v, bits] of known) {
      expect(f32ToF16(v)).toBe(bits);
      expect(f16ToF32(bits)).toBe(v);
    }
    expect(f32ToF16(-0)).toBe(0x8000);
  });
  it('rounds to nearest, ties to even; overflows to Inf; keeps NaN', () => {
    expect(f32ToF16(1 + 2 ** -11)).toBe(0x3c00); // tie -> even (down)
    expect(f32ToF16(1 + 3 * 2 ** -11)).toBe(0x3c02); // tie -> even (up)
    expect(f32ToF16(1 + 2 ** -11 + 2 ** -20)).toBe(0x3c01); // above the tie
    expect(f32ToF16(65520)).toBe(0x7c00);
    expect(f32ToF16(Number.POSITIVE_INFINITY)).toBe(0x7c00);
    expect(Number.isNaN(f16ToF32(f32ToF16(Number.NaN)))).toBe(true);
    expect(f32ToF16(2 ** -25)).toBe(0x0000); // exactly half the smallest subnormal: tie -> even (0)
    expect(f32ToF16(3 * 2 ** -25)).toBe(0x0002);
    expect(f32ToF16(2 ** -14 - 2 ** -25)).toBe(0x0400); // rounds up into the smallest normal
  });
});

describe('bfloat16', () => {
  it('is the top half of float32, rounded to nearest even', () => {
    expect(f32ToBf16(1)).toBe(0x3f80);
    expect(f32ToBf16(-2)).toBe(0xc000);
    expect(bf16ToF32(0x3f80)).toBe(1);
    expect(bf16ToF32(0x4049)).toBe(3.140625);
    expect(f32ToBf16(1 + 2 ** -8)).toBe(0x3f80); // tie -> even
    expect(f32ToBf16(1 + 3 * 2 ** -8)).toBe(0x3f82);
    expect(f32ToBf16(3.4e38)).toBe(0x7f80); // rounds past the largest finite bf16 -> Inf
    expect(Number.isNaN(bf16ToF32(f32ToBf16(Number.NaN)))).toBe(true);
  });
});
