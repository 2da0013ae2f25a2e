import { createHash, randomBytes } from 'node:crypto';
import type { ApiKeyRecord } from '../core/types.js';

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

/**
 * The first 8 characters after `sk_`: enough to tell keys apart, while the 200-odd bits left keep the
 * secret out of reach, so the prefix may be stored and shown.
 */
export function apiKeyPrefix(key: string): string {
  return key.replace(/^sk_/, '').slice(0, 8);
}

/** How a prefix is shown: `sk_AbCd1234…`; keys made before prefixes were kept show `sk_?`. */
export function displayPrefix(prefix: string | null): string {
  return prefix === null ? 'sk_?' : `sk_${prefix}…`;
}

/** A fresh secret with what the store keeps of it. */
export function mintApiKey(): { secret: string; keyHash: string; prefix: string } {
  const secret = generateApiKey();
  return { secret, keyHash: hashApiKey(secret), prefix: apiKeyPrefix(secret) };
}

export type ApiKeyStatus = 'active' | 'expired' | 'revoked';

/** Revoked wins over expired: it is the deliberate act, and it is final. */
export function apiKeyStatus(key: ApiKeyRecord, now: Date = new Date()): ApiKeyStatus {
  if (key.revokedAt !== null) {
    return 'revoked';
  }
  return key.expiresAt !== null && Date.parse(key.expiresAt) <= now.getTime() ? 'expired' : 'active';
}
