import { SluiceApiError, SluiceClient } from '@sluice/client';

/** The HTTP API as the page uses it: the typed client, with the key kept in this browser session. */
const keyName = 'sluice.apiKey';
export const session = {
  key: (): string | null => sessionStorage.getItem(keyName),
  setKey: (key: string | null): void =>
    key ? sessionStorage.setItem(keyName, key) : sessionStorage.removeItem(keyName),
  get: (name: string): string | null => sessionStorage.getItem(`sluice.${name}`),
  set: (name: string, value: string | null): void =>
    value ? sessionStorage.setItem(`sluice.${name}`, value) : sessionStorage.removeItem(`sluice.${name}`),
};

/** A client of this page's server with the session's key (made anew: the key changes on sign-in). */
export const sluice = (): SluiceClient => new SluiceClient({ baseUrl: location.origin, apiKey: session.key() ?? '' });

/** What a failed call says to a person: the problem's code and detail. */
export function describeError(error: unknown, withCode = true): string {
  if (error instanceof SluiceApiError) {
    const detail = error.problem?.detail ?? error.message;
    return withCode ? `${error.code}: ${detail}` : detail;
  }
  return String(error);
}
