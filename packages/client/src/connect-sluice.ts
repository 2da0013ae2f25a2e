import { SluiceClient } from './client.js';

/** How to reach a Sluice server: a client of your own, or the server's URL and an API key. */
export type SluiceConnection =
  | { client: SluiceClient; baseUrl?: never; apiKey?: never }
  | { client?: never; baseUrl: string; apiKey?: string | undefined };

/** The client a connection names: the one given, or a new one for the server's URL and key. */
export function connectSluice(connection: SluiceConnection): SluiceClient {
  if (connection.client) {
    return connection.client;
  }
  // Callers in plain JavaScript get no type check: say what is missing rather than fail on the first call.
  if (!connection.baseUrl) {
    throw new Error('Pass `client`, or `baseUrl` and `apiKey`, to reach the Sluice server');
  }
  return new SluiceClient({
    baseUrl: connection.baseUrl,
    ...(connection.apiKey !== undefined ? { apiKey: connection.apiKey } : {}),
  });
}
