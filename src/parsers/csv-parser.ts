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
    rows = parse(text, { delimiter, relax_column_count: true, skip_empty_lines: true, bom: true, relax_quotes: true });
  } catch (error) {
    throw new SluiceError('corrupt_file', `The CSV cannot be read: ${error instanceof Error ? error.message : String(error)}`, { cause: error });
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
