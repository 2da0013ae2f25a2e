import { existsSync, mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { loadConfig } from '../../src/app/config.js';
import { createApp } from '../../src/app/create-app.js';
import { hashApiKey } from '../../src/server/api-keys.js';
import { runCli } from '../helpers/run-cli.js';

const secretLine = /^sk_[\w-]{43}$/;

describe('sluice keys', () => {
  it('creates named and expiring keys, lists them without secrets, and revokes them', async () => {
    const data = join(mkdtempSync(join(tmpdir(), 'sluice-keys-')), 'data');

    const created = await runCli([
      'keys',
      'create',
      '--tenant',
      'acme',
      '--name',
      'ci',
      '--expires',
      '30d',
      '-d',
      data,
    ]);
    expect(created.code).toBe(0);
    const lines = created.stdout.trim().split('\n');
    expect(lines).toHaveLength(2);
    expect(lines[0]).toMatch(/^Created key_\w+ \(tenant "acme", not admin, name "ci", expires \S+\)/);
    // The secret alone on its own line, and the only `sk_` in the output, so scripts can take it.
    expect(lines[1]).toMatch(secretLine);
    expect(created.stdout.match(/sk_/g)).toHaveLength(1);
    const secret = lines[1]!;
    const keyId = /(key_\w+)/.exec(lines[0]!)![1]!;

    const adminKey = await runCli(['keys', 'create', '--tenant', 'acme', '--admin', '-d', data]);
    expect(adminKey.code).toBe(0);
    expect(adminKey.stdout).toMatch(/admin, never expires/);
    const adminSecret = adminKey.stdout.trim().split('\n')[1]!;
    const adminId = /(key_\w+)/.exec(adminKey.stdout)![1]!;
    const other = await runCli(['keys', 'create', '--tenant', 'other', '-d', data]);
    const otherId = /(key_\w+)/.exec(other.stdout)![1]!;

    // What was printed is what authenticates, with the expiry asked for.
    const app = await createApp(loadConfig({}, { dataDir: data, logLevel: 'silent' }));
    try {
      const stored = await app.store.findApiKey(hashApiKey(secret));
      expect(stored).toMatchObject({ id: keyId, name: 'ci', admin: false, prefix: secret.slice(3, 11) });
      expect(Date.parse(stored!.expiresAt!) - Date.now()).toBeGreaterThan(30 * 86_400_000 - 60_000);
    } finally {
      await app.close();
    }

    const listed = await runCli(['keys', 'list', '--tenant', 'acme', '-d', data]);
    expect(listed.code).toBe(0);
    const rows = listed.stdout.trim().split('\n');
    expect(rows[0]).toMatch(/^ID\s+PREFIX\s+NAME\s+ROLE\s+CREATED\s+LAST USED\s+EXPIRES\s+STATUS$/);
    expect(rows).toHaveLength(3);
    expect(rows[1]).toMatch(
      new RegExp(`^${keyId}\\s+${secret.slice(0, 11)}…\\s+ci\\s+tenant\\s+\\S+ \\S+\\s+never\\s+\\S+ \\S+\\s+active$`),
    );
    expect(rows[2]).toMatch(new RegExp(`^${adminId}\\s+sk_\\S+…\\s+-\\s+admin\\s+.*never\\s+never\\s+active$`));
    expect(listed.stdout).not.toContain(secret);
    expect(listed.stdout).not.toContain(adminSecret);
    expect(listed.stdout).not.toContain(otherId);

    const all = await runCli(['keys', 'list', '-d', data]);
    expect(all.stdout.split('\n')[0]).toMatch(/^ID\s+TENANT\s+PREFIX/);
    expect(all.stdout).toMatch(new RegExp(`${otherId}\\s+other\\s+`));
    expect(all.stdout).not.toContain(secret);
    const json = await runCli(['keys', 'list', '--json', '-d', data]);
    expect((JSON.parse(json.stdout) as { id: string }[]).map((k) => k.id)).toEqual([keyId, adminId, otherId]);
    expect(json.stdout).not.toContain(secret);

    const revoked = await runCli(['keys', 'revoke', keyId, '-d', data]);
    expect(revoked.code).toBe(0);
    expect(revoked.stdout).toMatch(new RegExp(`^Revoked ${keyId} \\(sk_\\S+…, "ci", tenant "acme", not admin\\)`));
    const again = await runCli(['keys', 'revoke', keyId, '-d', data]);
    expect(again.code).toBe(0);
    expect(again.stdout).toMatch(/was already revoked, at \S+; nothing changed/);
    expect((await runCli(['keys', 'list', '-t', 'acme', '-d', data])).stdout).toMatch(new RegExp(`${keyId}.*revoked`));

    const unknown = await runCli(['keys', 'revoke', 'key_unknown', '-d', data]);
    expect(unknown.code).toBe(1);
    expect(unknown.stderr).toMatch(/error \[not_found\]: No key key_unknown/);

    // The last active admin key goes only with --force.
    const last = await runCli(['keys', 'revoke', adminId, '-d', data]);
    expect(last.code).toBe(1);
    expect(last.stderr).toMatch(/last active admin key.*--force/);
    const forced = await runCli(['keys', 'revoke', adminId, '--force', '-d', data]);
    expect(forced.code).toBe(0);
    expect(forced.stdout).toMatch(new RegExp(`^Revoked ${adminId}`));
  });

  it('refuses a bad duration or name with exit code 2, before creating anything', async () => {
    const data = join(mkdtempSync(join(tmpdir(), 'sluice-keys-')), 'data');
    for (const expires of ['30', '3w', '1.5d', '0s', '-1d', '99999d']) {
      const bad = await runCli(['keys', 'create', '--tenant', 'acme', '--expires', expires, '-d', data]);
      expect(bad.code, expires).toBe(2);
      expect(bad.stderr).toMatch(/error \[invalid_input\]: --expires takes .* \(e\.g\. 30d, 12h, 90m, 3600s\)/);
      expect(bad.stdout).not.toMatch(/sk_/);
    }
    const long = await runCli(['keys', 'create', '--name', 'x'.repeat(201), '-d', data]);
    expect(long.code).toBe(2);
    // Nothing was made: not a key, not even the data folder.
    expect(existsSync(data)).toBe(false);
    for (const expires of ['3600s', '90m', '12h']) {
      expect((await runCli(['keys', 'create', '--expires', expires, '-d', data])).code, expires).toBe(0);
    }
  });
});
