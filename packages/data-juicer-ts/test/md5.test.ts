import { createHash } from 'node:crypto';
import { expect, it } from 'vitest';
import { md5First8 } from '../src/dedup/md5.js';

it('md5First8 equals node:crypto md5 on many lengths and scripts', () => {
  const samples = [
    '',
    'a',
    'abc',
    'message digest',
    '你好世界',
    '😊 emoji 𠀀',
    'x'.repeat(55),
    'y'.repeat(56),
    'z'.repeat(64),
  ];
  let seed = 1;
  for (let i = 0; i < 300; i++) {
    let s = '';
    const len = i % 150;
    for (let k = 0; k < len; k++) {
      seed = (Math.imul(seed, 1103515245) + 12345) >>> 0;
      const r = seed >>> 8;
      s +=
        r % 5 === 0
          ? String.fromCodePoint(0x4e00 + (r % 2000))
          : r % 7 === 0
            ? '😀'
            : String.fromCharCode(32 + (r % 90));
    }
    samples.push(s);
  }
  for (const s of samples) {
    const d = createHash('md5').update(s, 'utf8').digest();
    expect(md5First8(s)).toEqual([d.readUInt32BE(0), d.readUInt32BE(4)]);
  }
});
