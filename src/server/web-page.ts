import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import fastifyStatic from '@fastify/static';
import type { FastifyInstance } from 'fastify';

/** Where the built page is: beside the compiled server (dist/web), or dist/web when run from src/. */
function findWebRoot(): string | undefined {
  return [new URL('../web/', import.meta.url), new URL('../../dist/web/', import.meta.url)]
    .map((url) => fileURLToPath(url))
    .find((path) => existsSync(`${path}index.html`));
}

/**
 * The browser page at `/`: static files built by Vite, served from the package itself. The content
 * security policy allows this origin only, so the page can load nothing from elsewhere.
 */
export async function registerWebPage(server: FastifyInstance): Promise<boolean> {
  const root = findWebRoot();
  if (!root) {
    return false;
  }
  await server.register(fastifyStatic, {
    root,
    prefix: '/',
    // One route per built file, so unknown paths still get the API's problem+json 404.
    wildcard: false,
    setHeaders: (res) => {
      res.setHeader(
        'content-security-policy',
        "default-src 'self'; style-src 'self'; img-src 'self' data:; connect-src 'self'",
      );
      res.setHeader('x-content-type-options', 'nosniff');
    },
  });
  return true;
}
