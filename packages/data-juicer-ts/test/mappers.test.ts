import { describe, expect, it } from 'vitest';
import { createOp, type Mapper } from '../src/index.js';
import { mapText } from './helpers.js';

describe('chinese_convert_mapper', () => {
  it('t2s and s2t (phrase then character conversion)', () => {
    expect(mapText('chinese_convert_mapper', '漢語', { mode: 't2s' })).toBe('汉语');
    expect(mapText('chinese_convert_mapper', '汉语', { mode: 's2t' })).toBe('漢語');
  });
  it('regional phrases with *p modes; non-Chinese passes through', () => {
    expect(mapText('chinese_convert_mapper', '出租车 abc 123', { mode: 's2twp' })).toBe('計程車 abc 123');
    expect(mapText('chinese_convert_mapper', '鼠标', { mode: 's2tw' })).toBe('鼠標');
  });
  it('every mode of the spec builds', () => {
    for (const mode of [
      's2t',
      't2s',
      's2tw',
      'tw2s',
      's2hk',
      'hk2s',
      's2twp',
      'tw2sp',
      't2tw',
      'tw2t',
      'hk2t',
      't2hk',
      't2jp',
      'jp2t',
    ])
      expect(typeof mapText('chinese_convert_mapper', '中文', { mode })).toBe('string');
  });
  it('bad params', () => {
    expect(() => createOp('chinese_convert_mapper', { mode: 's2x' })).toThrow(
      'chinese_convert_mapper.mode: must be one of',
    );
    expect(() => createOp('chinese_convert_mapper', { mode: 1 })).toThrow('expected a string, got 1 (number)');
  });
});

describe('clean_email_mapper', () => {
  it('spec edge cases', () => {
    expect(mapText('clean_email_mapper', 'contact John@Example.COM now')).toBe('contact John@Example.COM now');
    expect(mapText('clean_email_mapper', 'x@y.z')).toBe('');
    expect(mapText('clean_email_mapper', 'a.b+c@mail.co.uk!')).toBe('!');
    expect(mapText('clean_email_mapper', 'see @46hqb12chd.ckdhnfes.comd.dasd.asd.dc')).toBe(
      'see @46hqb12chd.ckdhnfes.comd.dasd.asd.dc',
    );
    expect(mapText('clean_email_mapper', 'me: a@46hqb12chd.ckdhnfes.comd.dasd.asd.dc end')).toBe('me:  end');
    // the local part is ASCII-only: the match starts after è
    expect(mapText('clean_email_mapper', 'nièrdash@host.x')).toBe('niè');
  });
  it('user pattern (r-quoted) and repl', () => {
    expect(mapText('clean_email_mapper', 'mail a@b.cn', { pattern: "r'[a-z]+@[a-z]+\\.cn'", repl: '<EMAIL>' })).toBe(
      'mail <EMAIL>',
    );
  });
  it('bad params', () => {
    expect(() => createOp('clean_email_mapper', { repl: null })).toThrow(
      'clean_email_mapper.repl: expected a string, got null',
    );
    expect(() => createOp('clean_email_mapper', { pattern: '[a-' })).toThrow(
      /unterminated character set|cannot compile/,
    );
  });
});

describe('clean_ip_mapper', () => {
  it('spec edge cases (no boundaries)', () => {
    expect(mapText('clean_ip_mapper', '1.2.3.4567')).toBe('67');
    expect(mapText('clean_ip_mapper', '999.1.1.1')).toBe('9');
    expect(mapText('clean_ip_mapper', '256.1.1.1')).toBe('2');
    expect(mapText('clean_ip_mapper', 'v1.2.3.4')).toBe('v');
    expect(mapText('clean_ip_mapper', 'ftp://example.com/188.46.244.216my-page.html')).toBe(
      'ftp://example.com/my-page.html',
    );
    expect(mapText('clean_ip_mapper', 'ft174.1421.237.246my')).toBe('ft174.1421.237.246my');
  });
  it('IPv6 only in the full 8-group form', () => {
    expect(mapText('clean_ip_mapper', 'a 2001:0db8:85a3:0000:0000:8a2e:0370:7334 b')).toBe('a  b');
    expect(mapText('clean_ip_mapper', '::1 fe80::1')).toBe('::1 fe80::1');
  });
  it('bad params', () => {
    expect(() => createOp('clean_ip_mapper', { patern: 'x' })).toThrow('Valid parameters: pattern, repl, text_key');
  });
});

describe('clean_links_mapper', () => {
  it('spec edge cases', () => {
    expect(mapText('clean_links_mapper', 'abc:def')).toBe('');
    expect(mapText('clean_links_mapper', 'self:attr')).toBe('');
    expect(mapText('clean_links_mapper', 'Python:3.8版本')).toBe('');
    for (const keep of ['ab:cd', 'note:x', 'a:b', '10:30am', 'example.com', 'sample@example'])
      expect(mapText('clean_links_mapper', keep)).toBe(keep);
    expect(mapText('clean_links_mapper', 'www.example.com')).toBe('');
    expect(mapText('clean_links_mapper', 'example.com/path')).toBe('');
    expect(mapText('clean_links_mapper', 'x (http://a.b/c(d)) y')).toBe('x () y');
    expect(mapText('clean_links_mapper', 'abcd://ef is a link')).toBe(' is a link');
    expect(mapText('clean_links_mapper', 'visit http://www.测试.com/path now')).toBe('visit  now');
    expect(mapText('clean_links_mapper', 'http测试://foo.bar')).toBe('');
    expect(mapText('clean_links_mapper', 'HTTPS://EXAMPLE.ORG/X.')).toBe('.');
  });
  it('bad params', () => {
    expect(() => createOp('clean_links_mapper', { repl: 3 })).toThrow(
      'clean_links_mapper.repl: expected a string, got 3',
    );
  });
});

describe('clean_html_mapper', () => {
  it('spec edge cases', () => {
    expect(mapText('clean_html_mapper', '<p>a</p><p>b</p>')).toBe('ab');
    expect(mapText('clean_html_mapper', '&copy; 2024')).toBe('© 2024');
    expect(mapText('clean_html_mapper', '    This is a test  ')).toBe('This is a test  ');
    expect(mapText('clean_html_mapper', '    ')).toBe('');
    expect(mapText('clean_html_mapper', '<li>Apple</li>')).toBe('*Apple');
    expect(mapText('clean_html_mapper', '<ol><li>a</li><li>b</li></ol>')).toBe('*\n*a\n*b');
    expect(mapText('clean_html_mapper', '<测试>这是个测试</测试>')).toBe('<测试>这是个测试');
    expect(mapText('clean_html_mapper', '<abc="...">测试')).toBe('测试');
    expect(mapText('clean_html_mapper', 'href="..." >测试')).toBe('href="..." >测试');
    expect(mapText('clean_html_mapper', 'a<b and c>d')).toBe('ad');
    expect(mapText('clean_html_mapper', '<script>var x = 1;</script><!-- gone -->t')).toBe('var x = 1;t');
  });
  it('bad params', () => {
    expect(() => createOp('clean_html_mapper', { x: 1 })).toThrow(
      'clean_html_mapper: unknown parameter "x". Valid parameters: text_key,',
    );
  });
});

describe('clean_copyright_mapper', () => {
  it('spec edge cases', () => {
    expect(mapText('clean_copyright_mapper', '这是一段 /* 多行注释\n注释内容copyright */ 的文本')).toBe(
      '这是一段  的文本',
    );
    expect(mapText('clean_copyright_mapper', '#标题\n正文')).toBe('正文');
    expect(mapText('clean_copyright_mapper', '--if start with\n--comment\n#hash')).toBe('');
    expect(mapText('clean_copyright_mapper', 'a /* Copyright x */ b /* copyright y */ c')).toBe(
      'a  b /* copyright y */ c',
    );
    expect(mapText('clean_copyright_mapper', '// header\n/* no rights here */\ncode')).toBe(
      '// header\n/* no rights here */\ncode',
    );
    expect(mapText('clean_copyright_mapper', '#!/bin/sh\n\n// x\necho hi\n# not leading')).toBe(
      'echo hi\n# not leading',
    );
  });
  it('bad params', () => {
    expect(() => createOp('clean_copyright_mapper', { copyright: true })).toThrow('unknown parameter "copyright"');
  });
});

describe('expand_macro_mapper', () => {
  it('expands argument-free macros followed by a non-alphanumeric character', () => {
    const src = '\\newcommand{\\R}{\\mathbb{R}}\nLet $x \\in \\R$ and \\Rx and \\R';
    expect(mapText('expand_macro_mapper', src)).toBe(
      '\\newcommand{\\mathbb{R}}{\\mathbb{R}}\nLet $x \\in \\mathbb{R}$ and \\Rx and \\R',
    );
  });
  it('spec test: the definition line is rewritten too', () => {
    expect(mapText('expand_macro_mapper', '\\newcommand{\\theHalgorithm}{\\arabic{algorithm}}\n\\theHalgorithm.')).toBe(
      '\\newcommand{\\arabic{algorithm}}{\\arabic{algorithm}}\n\\arabic{algorithm}.',
    );
  });
  it('\\def form, later definitions win, lines ending in % are not definitions', () => {
    // \x -> two everywhere it is followed by a non-alphanumeric, definition lines included
    expect(mapText('expand_macro_mapper', '\\def\\x{one}\n\\def\\x{two}\n\\x.')).toBe(
      '\\deftwo{one}\n\\deftwo{two}\ntwo.',
    );
    expect(mapText('expand_macro_mapper', '\\newcommand{\\y}{why}%\n\\y.')).toBe('\\newcommand{\\y}{why}%\n\\y.');
  });
  it('a non-ASCII value fails like Data-Juicer ("bad escape")', () => {
    expect(() => mapText('expand_macro_mapper', '\\newcommand{\\z}{中}\n\\z.')).toThrow(/non-ASCII value/);
  });
  it('bad params', () => {
    expect(() => createOp('expand_macro_mapper', { macros: {} })).toThrow('unknown parameter "macros"');
  });
});

describe('fix_unicode_mapper', () => {
  it('replaces lone surrogates with U+FFFD and keeps pairs', () => {
    expect(mapText('fix_unicode_mapper', 'a\ud800b\udc00c')).toBe('a\ufffdb\ufffdc');
    expect(mapText('fix_unicode_mapper', 'ok 😀 ok')).toBe('ok 😀 ok');
  });

  it('spec example for Chinese', () => {
    expect(mapText('fix_unicode_mapper', '你好，世界！（测试）：；？“引号”　全角。、ＡＢＣ１２３')).toBe(
      '你好,世界!(测试):;?"引号" 全角。、ABC123',
    );
  });
  it('mojibake: UTF-8 read as windows-1252, one and two levels', () => {
    expect(mapText('fix_unicode_mapper', 'âœ”')).toBe('✔');
    // ’ = E2 80 99 -> "â€™"; encoded and misread again -> "Ã¢â‚¬â„¢"
    expect(mapText('fix_unicode_mapper', 'doesnâ€™t')).toBe("doesn't");
    expect(mapText('fix_unicode_mapper', 'doesnÃ¢â‚¬â„¢t')).toBe("doesn't");
    expect(mapText('fix_unicode_mapper', 'cafÃ©')).toBe('café');
  });
  it('HTML entities only when there is no "<"', () => {
    expect(mapText('fix_unicode_mapper', '&amp; &lt;p&gt;')).toBe('& <p>');
    expect(mapText('fix_unicode_mapper', '<p>&amp;</p>')).toBe('<p>&amp;</p>');
  });
  it('ligatures, line breaks, controls, normalization', () => {
    expect(mapText('fix_unicode_mapper', 'ﬁne ﬂow')).toBe('fine flow');
    expect(mapText('fix_unicode_mapper', 'a\r\nb\rc\u2028d\u2029e')).toBe('a\nb\nc\nd\ne');
    // ftfy repairs encodings before line breaks: a C1 control is first read as windows-1252 (0x85 = …)
    expect(mapText('fix_unicode_mapper', 'e\x85f')).toBe('e…f');
    expect(mapText('fix_unicode_mapper', 'a\x00b\x1b[31mred\x1b[0m\ufeff')).toBe('abred');
    expect(mapText('fix_unicode_mapper', 'e\u0301')).toBe('é');
    expect(mapText('fix_unicode_mapper', 'é', { normalization: 'nfd' })).toBe('e\u0301');
    expect(mapText('fix_unicode_mapper', 'ｶﾀｶﾅ')).toBe('カタカナ');
  });
  it('bad params', () => {
    expect(() => createOp('fix_unicode_mapper', { normalization: 'NFX' })).toThrow(
      'fix_unicode_mapper.normalization: must be one of NFC, NFKC, NFD, NFKD; got "NFX" (string)',
    );
  });
});

describe('punctuation_normalization_mapper', () => {
  it('spec test string', () => {
    expect(mapText('punctuation_normalization_mapper', '，。、„”“«»１」「《》´∶：？！（）；–—．～’…━〈〉【】％►')).toBe(
      ',.,""""""""""\'::?!();- - . ~\'...-<>[]%-',
    );
  });
  it('leaves ‘ · 『』 alone', () => {
    expect(mapText('punctuation_normalization_mapper', '‘·『』')).toBe('‘·『』');
  });
  it('bad params', () => {
    expect(() => createOp('punctuation_normalization_mapper', { table: 1 })).toThrow('unknown parameter "table"');
  });
});

describe('remove_repeat_sentences_mapper', () => {
  it('drops repeated sentences across lines; a dropped sentence takes its leading whitespace', () => {
    const text = '今天天气真不错。今天天气真不错！明天呢？\n明天呢？ 后天。';
    expect(mapText('remove_repeat_sentences_mapper', text)).toBe('今天天气真不错。明天呢？\n 后天。');
  });
  it('spec: closing quotes stay attached, dropped piece takes its whitespace', () => {
    // pieces: '今天很好。”' | ' 今天很好。”' | '昨天也好。'; the second has the same key and goes with its space
    const text = '今天很好。” 今天很好。”昨天也好。';
    expect(mapText('remove_repeat_sentences_mapper', text)).toBe('今天很好。”昨天也好。');
  });
  it('defaults: 1234？ and 1234. collide; 3. (key length 1) is never removed', () => {
    expect(mapText('remove_repeat_sentences_mapper', '1234？1234.3.3.')).toBe('1234？3.3.');
  });
  it('Yes... no splits into Yes., .., " no"', () => {
    expect(mapText('remove_repeat_sentences_mapper', 'Yes... no')).toBe('Yes... no');
  });
  it('lowercase option and min length', () => {
    expect(mapText('remove_repeat_sentences_mapper', 'Hello there. hello there.', { lowercase: true })).toBe(
      'Hello there.',
    );
    expect(mapText('remove_repeat_sentences_mapper', 'ab. ab.', { min_repeat_sentence_length: 3 })).toBe('ab. ab.');
  });
  it('bad params', () => {
    expect(() => createOp('remove_repeat_sentences_mapper', { min_repeat_sentence_length: '2' })).toThrow(
      'remove_repeat_sentences_mapper.min_repeat_sentence_length: expected an integer, got "2" (string)',
    );
  });
});

describe('remove_specific_chars_mapper', () => {
  it('default set, and | is removed with 2+ characters', () => {
    expect(mapText('remove_specific_chars_mapper', '◆●■►▼▲▴∆▻▷❖♡□ok')).toBe('ok');
    expect(mapText('remove_specific_chars_mapper', 'a|b◆c')).toBe('abc');
    expect(mapText('remove_specific_chars_mapper', 'a|b◆c', { chars_to_remove: '◆' })).toBe('a|bc');
    expect(mapText('remove_specific_chars_mapper', 'xay', { chars_to_remove: ['ab', 'y'] })).toBe('x');
    expect(mapText('remove_specific_chars_mapper', 'abc', { chars_to_remove: '' })).toBe('abc');
    expect(mapText('remove_specific_chars_mapper', 'abc', { chars_to_remove: null })).toBe('abc');
  });
  it('bad params', () => {
    expect(() => createOp('remove_specific_chars_mapper', { chars_to_remove: [1] })).toThrow(
      'remove_specific_chars_mapper.chars_to_remove: expected a string or a list of strings, got [1] (list)',
    );
  });
});

describe('whitespace_normalization_mapper', () => {
  it('spec test: 23 spaces', () => {
    const text =
      'x \t\u2000\u2001\u2002\u2003\u2004\u2005\u2006\u2007\u2008\u2009\u200a\u202f\u205f\u3000\u00a0\u200B\u200C\u200D\u2060\ufffc\u0084y';
    expect(mapText('whitespace_normalization_mapper', text)).toBe(`x${' '.repeat(23)}y`);
  });
  it('strips Python whitespace at the ends, keeps \\n and \\u2028 inside', () => {
    expect(mapText('whitespace_normalization_mapper', '\u3000 a\nb\u2028c\t\n')).toBe('a\nb\u2028c');
  });
  it('bad params', () => {
    expect(() => createOp('whitespace_normalization_mapper', { text_key: 5 })).toThrow(
      'whitespace_normalization_mapper.text_key: expected a string, got 5 (number)',
    );
  });
});

describe('Mapper.process on samples', () => {
  it('rewrites only the text field (dotted text_key reaches nested fields)', () => {
    const m = createOp<Mapper>('punctuation_normalization_mapper', { text_key: 'doc.body' });
    const s = { id: 1, doc: { body: '你好，世界。', title: 't' } };
    expect(m.process(s)).toEqual({ id: 1, doc: { body: '你好,世界.', title: 't' } });
    expect(s.doc.body).toBe('你好，世界。');
    expect(() => m.process({ doc: { body: 3 } })).toThrow('sample field "doc.body" must be a string (got number)');
  });
});

describe('Data-Juicer unit-test style cases', () => {
  it('fix_unicode: three-level mojibake, fullwidth, latin-1 NBSP byte, quote + ellipsis mojibake', () => {
    expect(mapText('fix_unicode_mapper', 'The Mona Lisa doesnÃƒÂ¢Ã¢â€šÂ¬Ã¢â€žÂ¢t have eyebrows.')).toBe(
      "The Mona Lisa doesn't have eyebrows.",
    );
    expect(mapText('fix_unicode_mapper', 'ＬＯＵＤ　ＮＯＩＳＥＳ')).toBe('LOUD NOISES');
    expect(mapText('fix_unicode_mapper', 'Ã\u00a0 perturber la réflexion')).toBe('à perturber la réflexion');
    expect(mapText('fix_unicode_mapper', 'Ã¢â‚¬Å“mismatched quotesâ€¦')).toBe('"mismatched quotes…');
  });
  it('remove_repeat_sentences: the spec example (a dropped sentence takes its leading space)', () => {
    const text =
      '今天天气真不错，阳光明媚，适合出去散步。小明说：“今天天气真不错，我们去海边吧。” 小红回答说：“好主意！” 但是，小李觉得：“今天天气真不错，我们去爬山吧。” 今天天气真不错，阳光明媚，适合出去散步。昨天下了一整天的雨，今天终于放晴了。昨天下了一整天的雨，今天终于放晴了。';
    expect(mapText('remove_repeat_sentences_mapper', text)).toBe(
      '今天天气真不错，阳光明媚，适合出去散步。小明说：“今天天气真不错，我们去海边吧。” 小红回答说：“好主意！” 但是，小李觉得：“今天天气真不错，我们去爬山吧。”昨天下了一整天的雨，今天终于放晴了。',
    );
  });
  it('clean_html: quoted attributes with spaces, whitespace text nodes kept', () => {
    expect(
      mapText('clean_html_mapper', '<a href="https://www.example.com/file.html?;name=Test 测试 Demo">测试</a>'),
    ).toBe('测试');
    expect(mapText('clean_html_mapper', '<div>\n  <p>Paragraph 1</p>\n</div>\n')).toBe('\n  Paragraph 1\n\n');
  });
});
