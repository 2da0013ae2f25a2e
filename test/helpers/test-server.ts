import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { loadConfig, type ConfigInput } from '../../src/app/config.js';
import { createApp, type AppContext } from '../../src/app/create-app.js';
import { mintApiKey } from '../../src/server/api-keys.js';
import { createServer, type SluiceServer } from '../../src/server/create-server.js';

export interface TestServer {
  app: AppContext;
  server: SluiceServer;
  url: string;
  adminKey: string;
  /** A key of a new tenant. */
  tenantKey(name: string): Promise<string>;
  close(): Promise<void>;
}

/** A real Sluice server on a free port of 127.0.0.1, with its own data folder and workers. */
export async function startTestServer(overrides: ConfigInput = {}): Promise<TestServer> {
  const dataDir = mkdtempSync(join(tmpdir(), 'sluice-http-'));
  const app = await createApp(
    loadConfig({}, { dataDir, logLevel: 'silent', port: 0, host: '127.0.0.1', retryBaseMs: 10, ...overrides }),
    { servesRequests: true },
  );
  const tenant = await app.defaultTenant();
  const admin = mintApiKey();
  await app.store.createApiKey({
    tenantId: tenant.id,
    keyHash: admin.keyHash,
    prefix: admin.prefix,
    admin: true,
    name: 'test admin',
  });
  const adminKey = admin.secret;
  if (app.config.workers) {
    await app.startWorkers();
  }
  const server = await createServer(app);
  const url = await server.listen({ port: 0, host: '127.0.0.1' });
  return {
    app,
    server,
    url,
    adminKey,
    async tenantKey(name) {
      const t = await app.store.ensureTenant(name);
      const key = mintApiKey();
      await app.store.createApiKey({ tenantId: t.id, keyHash: key.keyHash, prefix: key.prefix, admin: false });
      return key.secret;
    },
    async close() {
      await server.close();
      await app.close();
    },
  };
}

/** fetch with the key and JSON handled; returns status, headers and parsed body. */
export function client(base: string, key: string) {
  return async (method: string, path: string, body?: unknown, headers: Record<string, string> = {}) => {
    const isForm = body instanceof FormData;
    const response = await fetch(`${base}${path}`, {
      method,
      headers: {
        authorization: `Bearer ${key}`,
        ...(body !== undefined && !isForm ? { 'content-type': 'application/json' } : {}),
        ...headers,
      },
      ...(body !== undefined ? { body: isForm ? body : JSON.stringify(body) } : {}),
    });
    const text = await response.text();
    let json: any;
    try {
      json = text ? JSON.parse(text) : undefined;
    } catch {
      json = text;
    }
    return { status: response.status, headers: response.headers, body: json };
  };
}

export function form(files: { name: string; content: string | Uint8Array }[]): FormData {
  const data = new FormData();
  for (const file of files) {
    data.append('file', new Blob([file.content]), file.name);
  }
  return data;
}
