import type { Command } from 'commander';
import type { CreateKeyFlags, ListKeysFlags, RevokeKeyFlags } from './keys-action.js';

const dataDirHelp = 'where the ledger lives (SLUICE_DATA_DIR, default ./.sluice)';

export function registerKeysCommand(program: Command): void {
  const keys = program.command('keys').description('manage API keys: create, list, revoke');
  registerCreate(keys);
  registerList(keys);
  registerRevoke(keys);
}

function registerCreate(keys: Command): void {
  keys
    .command('create')
    .description(
      'create an API key for a tenant (the tenant is created if new); the secret is printed once, on its own line',
    )
    .option('-t, --tenant <name>', 'tenant name', 'default')
    .option('-n, --name <label>', 'a label to tell keys apart')
    .option('--expires <duration>', 'stop working after this long: 30d, 12h, 90m or 3600s (default: never)')
    .option('--admin', 'the key may create tenants and keys')
    .option('-d, --data-dir <path>', dataDirHelp)
    .action(async (flags: CreateKeyFlags) => {
      const { runKeysCreate } = await import('./keys-action.js');
      await runKeysCreate(flags);
    });
}

function registerList(keys: Command): void {
  keys
    .command('list')
    .description('list API keys (never their secrets) with their state')
    .option('-t, --tenant <name>', "only this tenant's keys, by name or id (default: every tenant's)")
    .option('--json', 'print JSON')
    .option('-d, --data-dir <path>', dataDirHelp)
    .action(async (flags: ListKeysFlags) => {
      const { runKeysList } = await import('./keys-action.js');
      await runKeysList(flags);
    });
}

function registerRevoke(keys: Command): void {
  keys
    .command('revoke')
    .description('revoke an API key: it fails from the next request on, on every API node')
    .argument('<key-id>', 'the key to revoke (key_…, see `sluice keys list`)')
    .option('--force', 'revoke it even if it is the last active admin key (no one can then manage keys over HTTP)')
    .option('-d, --data-dir <path>', dataDirHelp)
    .action(async (keyId: string, flags: RevokeKeyFlags) => {
      const { runKeysRevoke } = await import('./keys-action.js');
      await runKeysRevoke(keyId, flags);
    });
}
