import type { AppContext } from '../app/create-app.js';
import { SluiceError } from '../core/errors.js';
import type { ApiKeyRecord, Tenant } from '../core/types.js';
import { apiKeyStatus, displayPrefix, mintApiKey } from '../server/api-keys.js';
import { oneLine, print, printError } from './output.js';
import type { CommonFlags } from './command-config.js';
import { withApp } from './with-app.js';

export interface CreateKeyFlags extends CommonFlags {
  tenant: string;
  name?: string;
  expires?: string;
  admin?: boolean;
}

export interface ListKeysFlags extends CommonFlags {
  tenant?: string;
  json?: boolean;
}

export interface RevokeKeyFlags extends CommonFlags {
  force?: boolean;
}

const units = { s: 1, m: 60, h: 3600, d: 86_400 } as const;
/** As over HTTP: an expiry further out is no expiry. */
const maxDurationSeconds = 10 * 365 * 86_400;

/** `30d`, `12h`, `90m`, `3600s` in seconds; undefined if it is none of those. */
export function parseDuration(text: string): number | undefined {
  const match = /^(\d+)([smhd])$/.exec(text.trim());
  if (!match) {
    return undefined;
  }
  const seconds = Number(match[1]) * units[match[2] as keyof typeof units];
  return seconds > 0 && seconds <= maxDurationSeconds ? seconds : undefined;
}

/** Wrong input is exit code 2, as for a shell's usage errors; failures while running are 1. */
function inputError(message: string): number {
  printError(`error [invalid_input]: ${message}`);
  return 2;
}

/** Minutes are precise enough to read; UTC, as stored. */
function formatTime(iso: string | null, none: string): string {
  return iso === null ? none : `${iso.slice(0, 10)} ${iso.slice(11, 16)}`;
}

function printTable(rows: string[][]): void {
  const widths = rows[0]!.map((_, column) => Math.max(...rows.map((row) => row[column]!.length)));
  for (const row of rows) {
    print(
      row
        .map((cell, column) => cell.padEnd(widths[column]!))
        .join('  ')
        .trimEnd(),
    );
  }
}

async function tenantsOf(app: AppContext, keys: ApiKeyRecord[]): Promise<Map<string, Tenant | undefined>> {
  const ids = [...new Set(keys.map((key) => key.tenantId))];
  return new Map(await Promise.all(ids.map(async (id) => [id, await app.store.getTenant(id)] as const)));
}

/** `sluice keys create`: a new key for a tenant, whose secret is printed this once. */
export async function runKeysCreate(flags: CreateKeyFlags): Promise<void> {
  let expiresInSeconds: number | undefined;
  if (flags.expires !== undefined) {
    expiresInSeconds = parseDuration(flags.expires);
    if (expiresInSeconds === undefined) {
      process.exitCode = inputError(
        `--expires takes a whole number and a unit, s, m, h or d, up to 10 years (e.g. 30d, 12h, 90m, 3600s), not "${flags.expires}"`,
      );
      return;
    }
  }
  if (flags.name !== undefined && (flags.name.length === 0 || flags.name.length > 200)) {
    process.exitCode = inputError('--name takes 1 to 200 characters');
    return;
  }
  process.exitCode = await withApp(flags, async (app) => {
    const tenant = await app.store.ensureTenant(flags.tenant);
    const minted = mintApiKey();
    const key = await app.store.createApiKey({
      tenantId: tenant.id,
      keyHash: minted.keyHash,
      prefix: minted.prefix,
      admin: flags.admin === true,
      name: flags.name ?? null,
      expiresAt: expiresInSeconds === undefined ? null : new Date(Date.now() + expiresInSeconds * 1000).toISOString(),
    });
    const details = [
      `tenant "${tenant.name}"`,
      key.admin ? 'admin' : 'not admin',
      ...(key.name !== null ? [`name "${key.name}"`] : []),
      key.expiresAt !== null ? `expires ${key.expiresAt}` : 'never expires',
    ];
    // The prefix is left out here: scripts that look for `sk_…` must find the secret only.
    print(`Created ${key.id} (${details.join(', ')}); the secret is shown this once, on the next line:`);
    print(minted.secret);
    return 0;
  });
}

/** `sluice keys list`: the keys, never their secrets, with their state. */
export async function runKeysList(flags: ListKeysFlags): Promise<void> {
  process.exitCode = await withApp(
    flags,
    async (app) => {
      const all = await app.store.listApiKeys();
      const tenants = await tenantsOf(app, all);
      const listed =
        flags.tenant === undefined
          ? all
          : all.filter((key) => {
              const tenant = tenants.get(key.tenantId);
              return key.tenantId === flags.tenant || tenant?.name === flags.tenant;
            });
      const now = new Date();
      if (flags.json) {
        print(
          JSON.stringify(
            listed.map((key) => ({ ...key, status: apiKeyStatus(key, now) })),
            null,
            2,
          ),
        );
        return 0;
      }
      if (listed.length === 0) {
        print(flags.tenant === undefined ? 'No keys yet.' : `No keys for tenant "${flags.tenant}".`);
        return 0;
      }
      const withTenant = flags.tenant === undefined;
      const header = [
        'ID',
        ...(withTenant ? ['TENANT'] : []),
        'PREFIX',
        'NAME',
        'ROLE',
        'CREATED',
        'LAST USED',
        'EXPIRES',
        'STATUS',
      ];
      printTable([
        header,
        ...listed.map((key) => [
          key.id,
          ...(withTenant ? [tenants.get(key.tenantId)?.name ?? key.tenantId] : []),
          displayPrefix(key.prefix),
          key.name === null ? '-' : oneLine(key.name, 40),
          key.admin ? 'admin' : 'tenant',
          formatTime(key.createdAt, '-'),
          formatTime(key.lastUsedAt, 'never'),
          formatTime(key.expiresAt, 'never'),
          apiKeyStatus(key, now),
        ]),
      ]);
      return 0;
    },
    { needsData: true },
  );
}

/** `sluice keys revoke`: revokes a key, refusing the last active admin key unless `--force`. */
export async function runKeysRevoke(keyId: string, flags: RevokeKeyFlags): Promise<void> {
  process.exitCode = await withApp(flags, async (app) => {
    const outcome = await app.store.revokeApiKey(keyId, { keepAnAdmin: flags.force !== true });
    if (!outcome) {
      throw new SluiceError('not_found', `No key ${keyId} (see \`sluice keys list\`)`);
    }
    const { key } = outcome;
    const tenant = await app.store.getTenant(key.tenantId);
    const what = [
      displayPrefix(key.prefix),
      ...(key.name !== null ? [`"${key.name}"`] : []),
      `tenant "${tenant?.name ?? key.tenantId}"`,
      key.admin ? 'admin' : 'not admin',
    ].join(', ');
    switch (outcome.kind) {
      case 'revoked':
        print(`Revoked ${key.id} (${what}).`);
        return 0;
      case 'already_revoked':
        print(`${key.id} (${what}) was already revoked, at ${key.revokedAt ?? '?'}; nothing changed.`);
        return 0;
      case 'last_admin':
        throw new SluiceError(
          'forbidden',
          `${key.id} (${what}) is the last active admin key: without it no one can manage tenants or keys over HTTP. ` +
            'Create another with `sluice keys create --admin` first, or add --force.',
        );
    }
  });
}
