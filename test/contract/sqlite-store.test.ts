import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createSqliteStore } from '../../src/store/sqlite/sqlite-store.js';
import { describeStoreContract } from './store-contract.js';

describeStoreContract('sqlite', () => {
  const dir = mkdtempSync(join(tmpdir(), 'sluice-store-'));
  return Promise.resolve(createSqliteStore({ path: join(dir, 'sluice.db') }));
});
