import { SluiceError } from '../core/errors.js';
import type { ParsedDocument } from '../core/types.js';
import { mediaTypes } from './sniff-media-type.js';

// No JSON people write nests this deep (configs, API answers, schemas, syntax trees stay well within it).
const maxDepth = 256;

/**
 * Most characters of text a JSON file of `length` characters may become. Every leaf repeats its path,
 * so the text grows with depth times width; far past the file's own size it is an amplification, not
 * a document, and at a few hundred million characters V8 cannot hold the string at all.
 */
const maxTextLength = (length: number): number => Math.min(2 ** 27, Math.max(2 ** 20, 32 * length));

/**
 * JSON (or JSON Lines) becomes `path: value` lines, one per leaf, so that keys give values their
 * meaning in every chunk. Arrays of records are separated by blank lines to give the chunker a cut.
 * A document nested deeper than `maxDepth`, or whose lines would outgrow `maxTextLength`, fails with
 * `document_too_complex`.
 */
export function parseJson(text: string): ParsedDocument {
  const values = parseValues(text);
  const lines = createLineSink(maxTextLength(text.length));
  for (const value of values) {
    flattenJson(value, lines.push);
    lines.push('');
  }
  return { text: lines.join().trim(), mediaType: mediaTypes.json };
}

function parseValues(text: string): unknown[] {
  try {
    return [JSON.parse(text)];
  } catch (error) {
    assertNotTooDeep(error);
    // Not one document: perhaps JSON Lines.
    const lines = text.split('\n').filter((line) => line.trim() !== '');
    try {
      if (lines.length > 1) {
        return lines.map((line) => JSON.parse(line) as unknown);
      }
    } catch (lineError) {
      assertNotTooDeep(lineError);
      // Fall through to the error of the whole-document parse, which names the first problem.
    }
    throw new SluiceError(
      'corrupt_file',
      `The JSON cannot be read: ${error instanceof Error ? error.message : String(error)}`,
      { cause: error },
    );
  }
}

/** `JSON.parse` answers nesting beyond what its engine can take with a RangeError, not a SyntaxError. */
function assertNotTooDeep(error: unknown): void {
  if (error instanceof RangeError) {
    throw new SluiceError('document_too_complex', `The JSON nests too deep to read: ${error.message}`, {
      cause: error,
    });
  }
}

interface LineSink {
  push: (line: string) => void;
  join: () => string;
}

function createLineSink(maxLength: number): LineSink {
  const lines: string[] = [];
  let length = 0;
  return {
    push(line) {
      length += line.length + 1;
      if (length > maxLength) {
        throw new SluiceError(
          'document_too_complex',
          `The JSON's paths, repeated for each of its values, make more than ${maxLength} characters of text`,
        );
      }
      lines.push(line);
    },
    join: () => lines.join('\n'),
  };
}

const recordEnd = Symbol('record end');
/** A value still to flatten, or the blank line that ends a record of an array. */
type Step = { value: unknown; path: string; depth: number } | typeof recordEnd;

/**
 * Calls `emit` with one `path: value` line per leaf of `root` (null and empty strings left out), in
 * document order, and a blank line after each object or array inside an array. A stack of steps rather
 * than recursion: a document's nesting is the uploader's choice, the call stack's depth is not.
 */
function flattenJson(root: unknown, emit: (line: string) => void): void {
  const steps: Step[] = [{ value: root, path: '', depth: 0 }];
  for (let step = steps.pop(); step !== undefined; step = steps.pop()) {
    if (step === recordEnd) {
      emit('');
      continue;
    }
    const { value, path, depth } = step;
    if (value === null || typeof value !== 'object') {
      emitLeaf(value, path, emit);
      continue;
    }
    if (depth >= maxDepth) {
      throw new SluiceError('document_too_complex', `The JSON nests deeper than ${maxDepth} levels`);
    }
    // Pushed last to first, so they come off the stack in document order.
    if (Array.isArray(value)) {
      for (let i = value.length - 1; i >= 0; i--) {
        const item: unknown = value[i];
        if (item !== null && typeof item === 'object') {
          steps.push(recordEnd);
        }
        steps.push({ value: item, path: `${path}[${i}]`, depth: depth + 1 });
      }
    } else {
      const entries = Object.entries(value);
      for (let i = entries.length - 1; i >= 0; i--) {
        const [key, item] = entries[i] as [string, unknown];
        steps.push({ value: item, path: path ? `${path}.${key}` : key, depth: depth + 1 });
      }
    }
  }
}

function emitLeaf(value: unknown, path: string, emit: (line: string) => void): void {
  if (value === null || value === '') {
    return;
  }
  const text = typeof value === 'string' ? value : JSON.stringify(value);
  emit(path ? `${path}: ${text}` : text);
}
