import { SluiceError } from '../core/errors.js';
import type { ParsedDocument } from '../core/types.js';
import { mediaTypes } from './sniff-media-type.js';

/**
 * JSON (or JSON Lines) becomes `path: value` lines, one per leaf, so that keys give values their
 * meaning in every chunk. Arrays of records are separated by blank lines to give the chunker a cut.
 */
export function parseJson(text: string): ParsedDocument {
  const values = parseValues(text);
  const lines: string[] = [];
  for (const value of values) {
    flatten(value, '', lines);
    lines.push('');
  }
  return { text: lines.join('\n').trim(), mediaType: mediaTypes.json };
}

function parseValues(text: string): unknown[] {
  try {
    return [JSON.parse(text)];
  } catch (error) {
    // Not one document: perhaps JSON Lines.
    const lines = text.split('\n').filter((line) => line.trim() !== '');
    try {
      if (lines.length > 1) {
        return lines.map((line) => JSON.parse(line) as unknown);
      }
    } catch {
      // Fall through to the error of the whole-document parse, which names the first problem.
    }
    throw new SluiceError('corrupt_file', `The JSON cannot be read: ${error instanceof Error ? error.message : String(error)}`, { cause: error });
  }
}

function flatten(value: unknown, path: string, lines: string[]): void {
  if (Array.isArray(value)) {
    value.forEach((item, i) => {
      flatten(item, `${path}[${i}]`, lines);
      if (item !== null && typeof item === 'object') {
        lines.push('');
      }
    });
  } else if (value !== null && typeof value === 'object') {
    for (const [key, item] of Object.entries(value)) {
      flatten(item, path ? `${path}.${key}` : key, lines);
    }
  } else if (value !== null && value !== '') {
    const text = typeof value === 'string' ? value : JSON.stringify(value);
    lines.push(path ? `${path}: ${text}` : text);
  }
}
