// Seeded, deterministic random numbers for weight init. Not torch's generator (bit-exactness with torch is not a
// goal; the distributions are). Each tensor gets its own stream keyed by (seed, tensor name), so a tensor's values
// do not depend on which other tensors exist or in what order they are generated.

/** FNV-1a over the UTF-16 code units of a string, 32-bit. */
function fnv1a(text: string, h = 0x811c9dc5): number {
  for (let i = 0; i < text.length; i++) {
    h ^= text.charCodeAt(i);
    h = Math.imul(h, 0x01000193);
  }
  return h >>> 0;
}

/** splitmix32 finaliser: spreads a 32-bit key into a well-mixed state word. */
function mix32(x: number): number {
  x = (x + 0x9e3779b9) | 0;
  x = Math.imul(x ^ (x >>> 16), 0x85ebca6b);
  x = Math.imul(x ^ (x >>> 13), 0xc2b2ae35);
  return (x ^ (x >>> 16)) >>> 0;
}

// Ziggurat tables (Marsaglia & Tsang 2000, "The Ziggurat Method for Generating Random Variables", 128 layers).
const ZIG_R = 3.442619855899;
const KN = new Float64Array(128);
const WN = new Float64Array(128);
const FN = new Float64Array(128);
{
  const m1 = 2147483648;
  const vn = 9.91256303526217e-3;
  let dn = ZIG_R;
  let tn = dn;
  const q = vn / Math.exp(-0.5 * dn * dn);
  KN[0] = Math.floor((dn / q) * m1);
  KN[1] = 0;
  WN[0] = q / m1;
  WN[127] = dn / m1;
  FN[0] = 1;
  FN[127] = Math.exp(-0.5 * dn * dn);
  for (let i = 126; i >= 1; i--) {
    dn = Math.sqrt(-2 * Math.log(vn / dn + Math.exp(-0.5 * dn * dn)));
    KN[i + 1] = Math.floor((dn / tn) * m1);
    tn = dn;
    FN[i] = Math.exp(-0.5 * dn * dn);
    WN[i] = dn / m1;
  }
}

/**
 * sfc32 (Chris Doty-Humphrey's Small Fast Counting generator, 128-bit state, passes PractRand) producing doubles
 * with 53 random bits, and standard normals by the Ziggurat method (Marsaglia & Tsang 2000, 128 layers; the layer
 * index is drawn from separate bits than the value, as Doornik 2005 recommends).
 */
export class Rng {
  private a: number;
  private b: number;
  private c: number;
  private d: number;
  private bits = 0;
  private nbits = 0;

  /** seed: any safe integer; stream: a label (we use the tensor name). */
  constructor(seed: number, stream = '') {
    const lo = seed >>> 0;
    const hi = Math.floor(seed / 2 ** 32) >>> 0;
    const key = fnv1a(stream, fnv1a(`${lo}:${hi}`));
    this.a = mix32(key ^ 0x243f6a88);
    this.b = mix32(lo ^ 0x85a308d3);
    this.c = mix32(hi ^ 0x13198a2e);
    this.d = 1;
    for (let i = 0; i < 16; i++) this.nextU32();
  }

  nextU32(): number {
    const t = (((this.a + this.b) | 0) + this.d) | 0;
    this.d = (this.d + 1) | 0;
    this.a = this.b ^ (this.b >>> 9);
    this.b = (this.c + (this.c << 3)) | 0;
    this.c = (this.c << 21) | (this.c >>> 11);
    this.c = (this.c + t) | 0;
    return t >>> 0;
  }

  /** Uniform in [0, 1) with 53 random bits. */
  uniform(): number {
    const hi = this.nextU32() >>> 5;
    const lo = this.nextU32() >>> 6;
    return (hi * 67108864 + lo) / 9007199254740992;
  }

  /** 7 random bits for the Ziggurat layer, four per 32-bit draw. */
  private layer(): number {
    if (this.nbits === 0) {
      this.bits = this.nextU32();
      this.nbits = 4;
    }
    const iz = this.bits & 127;
    this.bits >>>= 8;
    this.nbits--;
    return iz;
  }

  /** Standard normal N(0, 1). */
  normal(): number {
    for (;;) {
      const hz = this.nextU32() | 0; // signed 32-bit
      const iz = this.layer();
      const x = hz * WN[iz]!;
      if (Math.abs(hz) < KN[iz]!) return x; // inside the layer's rectangle: ~98.8% of draws
      if (iz === 0) {
        // base strip: a draw from the tail beyond R (Marsaglia's exponential rejection)
        let tx: number;
        let ty: number;
        do {
          tx = -Math.log(1 - this.uniform()) / ZIG_R;
          ty = -Math.log(1 - this.uniform());
        } while (ty + ty < tx * tx);
        return hz > 0 ? ZIG_R + tx : -ZIG_R - tx;
      }
      // wedge: accept under the density, else draw again
      if (FN[iz]! + this.uniform() * (FN[iz - 1]! - FN[iz]!) < Math.exp(-0.5 * x * x)) return x;
    }
  }

  /** Fills `out` with N(mean, std^2) (the same sequence as repeated normal() calls). */
  fillNormal(out: Float32Array | Float64Array, std: number, mean = 0): void {
    for (let i = 0; i < out.length; i++) out[i] = mean + std * this.normal();
  }
}
