// MD5 (RFC 1321) of a UTF-8 string, returning the first 8 digest bytes as two big-endian uint32 halves — what
// simhash.unsigned_hash reads. A plain-JS version avoids a node:crypto Hash object per shingle (the simhash hot path).

const S = [
  7, 12, 17, 22, 7, 12, 17, 22, 7, 12, 17, 22, 7, 12, 17, 22, 5, 9, 14, 20, 5, 9, 14, 20, 5, 9, 14, 20, 5, 9, 14, 20, 4,
  11, 16, 23, 4, 11, 16, 23, 4, 11, 16, 23, 4, 11, 16, 23, 6, 10, 15, 21, 6, 10, 15, 21, 6, 10, 15, 21, 6, 10, 15, 21,
];
// K[i] = floor(|sin(i + 1)| * 2^32)
const K = new Int32Array(64);
for (let i = 0; i < 64; i++) K[i] = Math.floor(Math.abs(Math.sin(i + 1)) * 2 ** 32) | 0;

const encoder = new TextEncoder();
let buf = new Uint8Array(256);
const words = new Int32Array(16);

function bswap(x: number): number {
  return ((x & 0xff) << 24) | ((x & 0xff00) << 8) | ((x >>> 8) & 0xff00) | (x >>> 24);
}

/** The first 8 bytes of md5(utf8(text)) as big-endian [hi, lo] unsigned 32-bit numbers. */
export function md5First8(text: string): [number, number] {
  const maxBytes = text.length * 3;
  const padded = (((maxBytes + 8) >>> 6) + 1) << 6;
  if (buf.length < padded) buf = new Uint8Array(padded * 2);
  const n = encoder.encodeInto(text, buf).written;
  const total = (((n + 8) >>> 6) + 1) << 6;
  buf[n] = 0x80;
  buf.fill(0, n + 1, total);
  const bits = n * 8;
  buf[total - 8] = bits & 0xff;
  buf[total - 7] = (bits >>> 8) & 0xff;
  buf[total - 6] = (bits >>> 16) & 0xff;
  buf[total - 5] = (bits >>> 24) & 0xff;
  const hiBits = Math.floor(n / 0x20000000);
  buf[total - 4] = hiBits & 0xff;
  buf[total - 3] = (hiBits >>> 8) & 0xff;
  let a0 = 0x67452301;
  let b0 = 0xefcdab89 | 0;
  let c0 = 0x98badcfe | 0;
  let d0 = 0x10325476;
  for (let off = 0; off < total; off += 64) {
    for (let i = 0; i < 16; i++) {
      const p = off + i * 4;
      words[i] = buf[p]! | (buf[p + 1]! << 8) | (buf[p + 2]! << 16) | (buf[p + 3]! << 24);
    }
    let a = a0;
    let b = b0;
    let c = c0;
    let d = d0;
    for (let i = 0; i < 64; i++) {
      let f: number;
      let g: number;
      if (i < 16) {
        f = (b & c) | (~b & d);
        g = i;
      } else if (i < 32) {
        f = (d & b) | (~d & c);
        g = (5 * i + 1) & 15;
      } else if (i < 48) {
        f = b ^ c ^ d;
        g = (3 * i + 5) & 15;
      } else {
        f = c ^ (b | ~d);
        g = (7 * i) & 15;
      }
      const tmp = d;
      d = c;
      c = b;
      const x = (a + f + K[i]! + words[g]!) | 0;
      const s = S[i]!;
      b = (b + ((x << s) | (x >>> (32 - s)))) | 0;
      a = tmp;
    }
    a0 = (a0 + a) | 0;
    b0 = (b0 + b) | 0;
    c0 = (c0 + c) | 0;
    d0 = (d0 + d) | 0;
  }
  // digest bytes are a0..d0 little-endian; bytes 0-7 read big-endian = byte-swapped a0, b0
  return [bswap(a0) >>> 0, bswap(b0) >>> 0];
}
