import { afterAll, beforeAll } from 'vitest';
import { createPgStore } from '../../src/store/postgres/pg-store.js';
import { startTestPostgres, type TestPostgres } from '../helpers/postgres.js';
import { describeStoreContract } from './store-contract.js';

let postgres: TestPostgres;
beforeAll(async () => {
  postgres = await startTestPostgres();
});
afterAll(() => postgres.stop());

describeStoreContract('postgres', async () => createPgStore({ connectionString: await postgres.freshDatabaseUrl() }));
