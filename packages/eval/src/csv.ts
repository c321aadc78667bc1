// RFC 4180 CSV: comma-separated, fields optionally double-quoted; inside quotes, commas and line breaks are data and
// `""` is one quote. Accepts CRLF or LF line ends and a UTF-8 BOM. Each record carries the 1-based line it starts on
// so loaders can point at the bad row.
import { EvalDataError } from './errors.js';

export interface CsvRecord {
  fields: string[];
  /** 1-based line number of the record's first line. */
  line: number;
}

export function parseCsv(text: string, file = '<csv>'): CsvRecord[] {
  const records: CsvRecord[] = [];
  let i = text.charCodeAt(0) === 0xfeff ? 1 : 0;
  let line = 1;
  const n = text.length;
  while (i < n) {
    const startLine = line;
    const fields: string[] = [];
    // One record.
    for (;;) {
      let value = '';
      if (text[i] === '"') {
        i++;
        for (;;) {
          if (i >= n)
            throw new EvalDataError(`${file}:${startLine}: unterminated quoted field (opened on this record)`);
          const c = text[i]!;
          if (c === '"') {
            if (text[i + 1] === '"') {
              value += '"';
              i += 2;
              continue;
            }
            i++;
            break;
          }
          if (c === '\n') line++;
          value += c;
          i++;
        }
        const next = text[i];
        if (i < n && next !== ',' && next !== '\n' && next !== '\r') {
          throw new EvalDataError(`${file}:${line}: unexpected character '${next}' after a closing quote`);
        }
      } else {
        const start = i;
        while (i < n && text[i] !== ',' && text[i] !== '\n' && text[i] !== '\r') i++;
        value = text.slice(start, i);
        if (value.includes('"')) {
          throw new EvalDataError(`${file}:${line}: a quote inside an unquoted field (quote the whole field)`);
        }
      }
      fields.push(value);
      if (text[i] === ',') {
        i++;
        continue;
      }
      break;
    }
    // End of record: CRLF, LF, lone CR or end of text.
    if (text[i] === '\r') i++;
    if (text[i] === '\n') i++;
    line++;
    // A blank line (a single empty field) is not a record.
    if (fields.length === 1 && fields[0] === '') continue;
    records.push({ fields, line: startLine });
  }
  return records;
}
