import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { fixturePath, mapText } from './helpers.js';

// Made by tools/fixtures/data-juicer/gen_regex_expectations.py with Python's `regex` module and the default patterns.
const exp = JSON.parse(readFileSync(fixturePath('regex-expectations.json'), 'utf8')) as {
  inputs: string[];
  email: string[];
  ip: string[];
  links: string[];
};

describe('regex mappers agree with Python regex on a battery of inputs', () => {
  exp.inputs.forEach((input, i) => {
    it(`#${i} ${JSON.stringify(input.slice(0, 30))}`, () => {
      expect(mapText('clean_email_mapper', input)).toBe(exp.email[i]);
      expect(mapText('clean_ip_mapper', input)).toBe(exp.ip[i]);
      expect(mapText('clean_links_mapper', input)).toBe(exp.links[i]);
    });
  });
});
