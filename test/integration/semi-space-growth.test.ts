import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import { describe, expect, it } from 'vitest';
import { loadConfig } from '../../src/app/config.js';
import { semiSpaceGrowthFor } from '../../src/runtime/semi-space-growth.js';

const semiSpaceModule = new URL('../../dist/runtime/semi-space-growth.js', import.meta.url).href;

/**
 * A fresh process that applies the factor for a command first, as `bin/sluice.js` does, then keeps a
 * third of a stream of objects alive (survivors make V8 grow the young generation); prints the young
 * generation's committed size, in MiB.
 */
const survive = `
import { getHeapSpaceStatistics } from 'node:v8';
const { applySemiSpaceGrowth } = await import(${JSON.stringify(semiSpaceModule)});
applySemiSpaceGrowth(process.argv[1]);
const kept = [];
for (let i = 0; i < 3_000_000; i++) {
  const item = { i, s: 'x' + i };
  if (i % 3 === 0) kept.push(item);
  if (kept.length > 200_000) kept.length = 0;
}
const young = getHeapSpaceStatistics().find((space) => space.space_name === 'new_space');
console.log(JSON.stringify({ mib: young.physical_space_size / 1048576 }));
`;

async function youngGenerationMib(command: string, env: Record<string, string> = {}): Promise<number> {
  const { stdout } = await promisify(execFile)(process.execPath, ['--input-type=module', '-e', survive, command], {
    env: { ...process.env, ...env },
  });
  return (JSON.parse(stdout) as { mib: number }).mib;
}

describe('the young generation of a sluice process', () => {
  it('keeps its 1 MiB semi-spaces in an ingest, grows them as V8 would in serve, and as told', async () => {
    expect(await youngGenerationMib('ingest')).toBeLessThanOrEqual(2);
    expect(await youngGenerationMib('serve')).toBeGreaterThanOrEqual(8);
    expect(await youngGenerationMib('ingest', { SLUICE_SEMI_SPACE_GROWTH_FACTOR: '2' })).toBeGreaterThanOrEqual(8);
    expect(await youngGenerationMib('serve', { SLUICE_SEMI_SPACE_GROWTH_FACTOR: '1' })).toBeLessThanOrEqual(2);
  }, 30_000);

  it('takes SLUICE_SEMI_SPACE_GROWTH_FACTOR from 1 to 16; an invalid value is the configuration’s to refuse', () => {
    expect(loadConfig({}).semiSpaceGrowthFactor).toBeUndefined();
    expect(loadConfig({ SLUICE_SEMI_SPACE_GROWTH_FACTOR: '2' }).semiSpaceGrowthFactor).toBe(2);
    expect(() => loadConfig({ SLUICE_SEMI_SPACE_GROWTH_FACTOR: '0' })).toThrow(/SLUICE_SEMI_SPACE_GROWTH_FACTOR/);
    expect(semiSpaceGrowthFor('worker', {})).toBe(1);
    expect(semiSpaceGrowthFor('serve', {})).toBeUndefined();
    expect(semiSpaceGrowthFor('serve', { SLUICE_SEMI_SPACE_GROWTH_FACTOR: '4' })).toBe(4);
    expect(semiSpaceGrowthFor('ingest', { SLUICE_SEMI_SPACE_GROWTH_FACTOR: 'lots' })).toBeUndefined();
  });
});
