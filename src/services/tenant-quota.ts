import { SluiceError } from '../core/errors.js';
import type { Store } from '../ports/store.js';

/** The deployment's quotas for tenants without their own; 0 means no limit. */
export interface QuotaDefaults {
  maxDocuments: number;
  maxBytes: number;
  maxChunks: number;
}

/**
 * Refuses a request that would take the tenant past a quota, before anything of it is recorded (so
 * the caller gets a clear answer instead of a 202 and a batch of failures). Chunks are only known
 * after parsing, so that quota refuses new files once it is reached. Two requests racing near a limit
 * may both pass: quotas bound use, they are not a ledger of their own.
 */
export async function assertWithinQuota(
  store: Store,
  tenantId: string,
  defaults: QuotaDefaults,
  incoming: { documents: number; bytes: number },
): Promise<void> {
  const tenant = await store.getTenant(tenantId);
  if (!tenant) {
    return;
  }
  const maxDocuments = tenant.limits.maxDocuments ?? defaults.maxDocuments;
  const maxBytes = tenant.limits.maxBytes ?? defaults.maxBytes;
  const maxChunks = tenant.limits.maxChunks ?? defaults.maxChunks;
  if (!maxDocuments && !maxBytes && !maxChunks) {
    return;
  }
  const usage = await store.getTenantUsage(tenant.id);
  if (maxDocuments && usage.documents + incoming.documents > maxDocuments) {
    throw new SluiceError(
      'quota_exceeded',
      `The tenant may hold ${maxDocuments} documents; it holds ${usage.documents} and this request adds ${incoming.documents}`,
    );
  }
  if (maxBytes && usage.bytes + incoming.bytes > maxBytes) {
    throw new SluiceError(
      'quota_exceeded',
      `The tenant may hold ${maxBytes} bytes of files; it holds ${usage.bytes} and this request adds ${incoming.bytes}`,
    );
  }
  if (maxChunks && usage.chunks >= maxChunks) {
    throw new SluiceError('quota_exceeded', `The tenant may hold ${maxChunks} chunks and holds ${usage.chunks}`);
  }
}
