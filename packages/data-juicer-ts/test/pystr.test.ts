import { describe, expect, it } from 'vitest';
import { pyLen, pyStrip, splitlines } from '../src/index.js';
import { expectations } from './helpers.js';

describe('Python string semantics', () => {
  it('splitlines and strip match Python on every fixture text', () => {
    expectations.texts.forEach((t, i) => {
      expect(splitlines(t)).toEqual(expectations.stats[i]!.splitlines);
      expect(pyStrip(t)).toBe(expectations.stats[i]!.strip);
      expect(pyLen(t)).toBe(expectations.stats[i]!.text_len);
    });
  });
  it('counts code points, not UTF-16 units', () => {
    expect(pyLen('😊a𠀀')).toBe(3);
    expect(splitlines('')).toEqual([]);
    expect(splitlines('a\n')).toEqual(['a']);
    expect(splitlines('a\n\nb')).toEqual(['a', '', 'b']);
  });
  it('strip keeps U+200B and U+FEFF but removes \\x1c-\\x1f, \\x85, NBSP, U+3000', () => {
    expect(pyStrip('\u200bx\ufeff')).toBe('\u200bx\ufeff');
    expect(pyStrip('\x1c\x1f\x85\u00a0\u3000x\u2028')).toBe('x');
  });
});

describe('Python regex flavours', () => {
  it('document_deduplicator uses re (\\s includes \\x1c), simhash patterns use regex (\\s excludes it)', async () => {
    const { createOp } = await import('../src/index.js');
    const d = createOp('document_deduplicator', { ignore_non_character: true }) as unknown as {
      hashText(t: string): string;
    };
    // re: \x1c is whitespace, so "a\x1cb" and "ab" hash alike
    expect(d.hashText('a\x1cb')).toBe(d.hashText('ab'));
    const { compilePyRegex } = await import('../src/index.js');
    expect('a\x1cb\x85c'.replace(compilePyRegex('\\s'), '')).toBe('a\x1cbc');
    expect('x²y'.replace(compilePyRegex('\\w'), '')).toBe('²');
  });
});
