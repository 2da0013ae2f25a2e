export { SluiceClient, type SluiceClientOptions, type UploadOptions, type WaitOptions } from './client.js';
export { SluiceApiError } from './errors.js';
export type { StreamOptions } from './event-stream.js';
export type { RetryOptions } from './retries.js';
export type { UploadData, UploadFile, UploadInput } from './upload-body.js';
export type * from './types.js';
export type { components, paths } from './openapi.js';
