import type { Command } from 'commander';
import { generateApiKey, hashApiKey } from '../server/api-keys.js';
import { print } from './output.js';
import { withApp, type CommonFlags } from './with-app.js';

interface KeysFlags extends CommonFlags {
  tenant: string;
  admin?: boolean;
}

export function registerKeysCommand(program: Command): void {
  const keys = program.command('keys').description('manage API keys');
  keys
    .command('create')
    .description('create an API key for a tenant (the tenant is created if new); the key is printed once')
    .option('-t, --tenant <name>', 'tenant name', 'default')
    .option('--admin', 'the key may create tenants and keys')
    .option('-d, --data-dir <path>', 'where the ledger lives (SLUICE_DATA_DIR, default ./.sluice)')
    .action(async (flags: KeysFlags) => {
      process.exitCode = await withApp(flags, async (app) => {
        const tenant = await app.store.ensureTenant(flags.tenant);
        const key = generateApiKey();
        await app.store.createApiKey(tenant.id, hashApiKey(key), flags.admin === true);
        print(key);
        return 0;
      });
    });
}
