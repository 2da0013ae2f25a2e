import { execFile } from 'node:child_process';
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { describe, expect, it } from 'vitest';

const run = promisify(execFile);
const script = new URL('../../../scripts/write-openapi-types.js', import.meta.url).pathname;
const committed = new URL('../src/openapi.ts', import.meta.url).pathname;

describe("the client's generated types", () => {
  it('are those of the OpenAPI document the built server describes', async () => {
    const { stderr } = await run(process.execPath, [script, '--check']);
    expect(stderr).toBe('');
  });

  it('fail the check once they differ from it', async () => {
    const stale = join(mkdtempSync(join(tmpdir(), 'sluice-openapi-')), 'openapi.ts');
    writeFileSync(stale, readFileSync(committed, 'utf8').replace("'/v1/batches/{id}'", "'/v1/batch/{id}'"));
    const failed = await run(process.execPath, [script, '--check', '--file', stale]).catch(
      (e: { code: number; stderr: string }) => e,
    );
    expect(failed).toMatchObject({ code: 1 });
    expect((failed as { stderr: string }).stderr).toMatch(/npm run generate:client/);
  });
});
