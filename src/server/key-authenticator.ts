import type { ApiKeyRecord } from '../core/types.js';
import type { Store } from '../ports/store.js';
import { hashApiKey } from './api-keys.js';

export interface KeyAuthenticatorOptions {
  /**
   * Told when recording a key's use fails. The request is not held up or failed by it: last use is
   * a hint for people cleaning up keys, not part of authentication.
   */
  onError?: (error: unknown, keyId: string) => void;
  /** Least time between two recorded uses of one key by this process. @defaultValue 60000 */
  recordEveryMs?: number;
  /** The clock, in milliseconds. @defaultValue Date.now */
  now?: () => number;
}

export interface KeyAuthenticator {
  /** The key with this secret if it may authenticate now (not revoked, not expired); records its use. */
  authenticate(secret: string): Promise<ApiKeyRecord | undefined>;
}

/**
 * Looks keys up in the store on every call, never from a cache, so a revoked or expired key fails on
 * the very next request on every API node. Writing last use on every request would turn each read
 * into a write; once a minute per key per process is precise enough to tell a dead key from a live one.
 */
export function createKeyAuthenticator(
  store: Pick<Store, 'findApiKey' | 'recordApiKeyUse'>,
  options: KeyAuthenticatorOptions = {},
): KeyAuthenticator {
  const recordEveryMs = options.recordEveryMs ?? 60_000;
  const now = options.now ?? Date.now;
  const onError = options.onError ?? (() => undefined);
  /** Key id → when this process last recorded its use. */
  const recordedAt = new Map<string, number>();

  const forgetStale = (at: number): void => {
    for (const [id, time] of recordedAt) {
      if (at - time >= recordEveryMs) {
        recordedAt.delete(id);
      }
    }
  };

  return {
    async authenticate(secret) {
      const key = await store.findApiKey(hashApiKey(secret));
      if (!key) {
        return undefined;
      }
      const at = now();
      const last = recordedAt.get(key.id);
      if (last === undefined || at - last >= recordEveryMs) {
        // Marked before the write, so concurrent requests do not all write; a failed write keeps the
        // mark too, so a sick store gets one attempt a minute per key rather than one per request.
        recordedAt.set(key.id, at);
        if (recordedAt.size > 10_000) {
          forgetStale(at);
        }
        // Through a resolved promise, so that even a store throwing synchronously ends in the catch.
        void Promise.resolve()
          .then(() => store.recordApiKeyUse(key.id))
          .catch((error: unknown) => {
            try {
              onError(error, key.id);
            } catch {
              // A throwing reporter must not become an unhandled rejection either.
            }
          });
      }
      return key;
    },
  };
}
