import { createHash, randomBytes } from 'node:crypto';

/** A new API key: `sk_` and 32 random bytes, base64url. Only its hash is ever stored. */
export function generateApiKey(): string {
  return `sk_${randomBytes(32).toString('base64url')}`;
}

/**
 * SHA-256 of the key. Keys carry 256 bits of randomness, so a fast hash is enough (no salt or slow
 * KDF needed as for passwords), and lookups stay one indexed query per request.
 */
export function hashApiKey(key: string): string {
  return createHash('sha256').update(key).digest('hex');
}
