import { parse } from 'csv-parse/sync';
import { SluiceError } from '../core/errors.js';
import type { ParsedDocument } from '../core/types.js';
import { mediaTypes } from './sniff-media-type.js';

/**
 * A CSV becomes one line per row, `column: value; column: value`, so each chunk carries the meaning of
 * its cells without the header that sits far above it. The delimiter is sniffed from the first line.
 */
export function parseCsv(text: string): ParsedDocument {
  const firstLine = text.slice(0, text.indexOf('\n') === -1 ? text.length : text.indexOf('\n'));
  const delimiter = [',', ';', '\t', '|'].reduce((best, candidate) =>
    firstLine.split(candidate).length > firstLine.split(best).length ? candidate : best,
  );
  let rows: string[][];
  try {
    rows = parse(text, {
      delimiter,
      record_delimiter: recordDelimiterOf(text, delimiter),
      relax_column_count: true,
      skip_empty_lines: true,
      bom: true,
      relax_quotes: true,
    });
  } catch (error) {
    throw new SluiceError(
      'corrupt_file',
      `The CSV cannot be read: ${error instanceof Error ? error.message : String(error)}`,
      { cause: error },
    );
  }
  const [header, ...body] = rows;
  if (!header) {
    return { text: '', mediaType: mediaTypes.csv };
  }
  const names = header.map((name, i) => name.trim() || `column ${i + 1}`);
  const lines = body.map((row) =>
    row
      .map((cell, i) => [names[i] ?? `column ${i + 1}`, cell.trim()] as const)
      .filter(([, cell]) => cell !== '')
      .map(([name, cell]) => `${name}: ${cell}`)
      .join('; '),
  );
  return { text: lines.join('\n'), mediaType: mediaTypes.csv };
}

/**
 * The line end that ends the first record, found where csv-parse would look for it: outside quotes.
 * Told it, csv-parse does not search for it itself, which costs it three new buffers for every byte of
 * the first record: slow on a first line of a hundred thousand columns.
 */
function recordDelimiterOf(text: string, delimiter: string): string {
  let fieldStart = true;
  let quoted = false;
  for (let i = 0; i < text.length; i++) {
    const char = text[i];
    if (quoted) {
      // A doubled quote is a quote in the field; a single one ends the field's quotes.
      if (char === '"' && text[i + 1] === '"') {
        i++;
      } else if (char === '"') {
        quoted = false;
      }
    } else if (char === '\r') {
      return text[i + 1] === '\n' ? '\r\n' : '\r';
    } else if (char === '\n') {
      return '\n';
    } else {
      // With relaxed quotes, only a quote that opens a field quotes it.
      quoted = fieldStart && char === '"';
      fieldStart = char === delimiter;
    }
  }
  return '\n';
}
