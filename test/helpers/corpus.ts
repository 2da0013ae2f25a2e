import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';

const words = [
  'river',
  'sluice',
  'gate',
  'water',
  'flow',
  'index',
  'vector',
  'chunk',
  'token',
  'batch',
  'worker',
  'queue',
  'ledger',
  'retry',
  'parse',
  'embed',
];

/** A deterministic folder of Markdown, text and HTML files of varied size (seeded, no randomness). */
export function writeCorpus(folder: string, count: number, seed = 7, maxParagraphs = 60): string[] {
  mkdirSync(folder, { recursive: true });
  let state = seed;
  const next = () => {
    state = (state * 1103515245 + 12345) % 2 ** 31;
    return state;
  };
  const sentence = () => Array.from({ length: 8 + (next() % 10) }, () => words[next() % words.length]).join(' ') + '.';
  const paragraph = () => Array.from({ length: 3 + (next() % 6) }, sentence).join(' ');
  const names: string[] = [];
  for (let i = 0; i < count; i++) {
    const paragraphs = Array.from({ length: 5 + (next() % maxParagraphs) }, paragraph);
    const kind = i % 3;
    const name = `doc-${String(i).padStart(3, '0')}.${['md', 'txt', 'html'][kind]}`;
    const body =
      kind === 0
        ? `# Document ${i}\n\n${paragraphs.map((p, j) => (j % 5 === 0 ? `## Part ${j}\n\n${p}` : p)).join('\n\n')}`
        : kind === 1
          ? `Document ${i}\n\n${paragraphs.join('\n\n')}`
          : `<html><body><h1>Document ${i}</h1>${paragraphs.map((p) => `<p>${p}</p>`).join('')}</body></html>`;
    writeFileSync(join(folder, name), body);
    names.push(name);
  }
  return names;
}
