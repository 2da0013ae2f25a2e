import { resolve } from 'node:path';
import { z } from 'zod';
import { SluiceError } from '../core/errors.js';

const int = (min: number) => z.coerce.number().int().min(min);
const boolish = z.union([z.boolean(), z.enum(['true', 'false', '1', '0'])]).transform((v) => v === true || v === 'true' || v === '1');

/** The one configuration schema; flags override `SLUICE_*` environment variables, which override defaults. */
const configSchema = z
  .object({
    /** Folder holding the SQLite file and the raw files. @defaultValue `./.sluice` */
    dataDir: z.string().min(1).default('./.sluice'),
    /** pino level. @defaultValue `warn` for CLI commands */
    logLevel: z.enum(['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent']).default('warn'),
    /** Embedder kind; `hash` is local, offline and lexical. @defaultValue `hash` */
    embedder: z.enum(['hash']).default('hash'),
    /** Vector dimension of the hash embedder. @defaultValue 384 */
    embedDimension: int(8).max(4096).default(384),
    /** Chunks per embedder call. @defaultValue 100 */
    embedBatchSize: int(1).max(2048).default(100),
    /** Most tokens in a chunk. @defaultValue 500 */
    chunkTokens: int(16).max(8192).default(500),
    /** Tokens repeated from one chunk into the next. @defaultValue 50 */
    chunkOverlap: int(0).default(50),
    /** Documents processed at once by this process. @defaultValue 4 */
    concurrency: int(1).max(256).default(4),
    /** Attempts before a transient failure is final. @defaultValue 5 */
    maxAttempts: int(1).max(100).default(5),
    /** First retry delay; doubles each attempt, with jitter. @defaultValue 1000 */
    retryBaseMs: int(0).default(1000),
    /** Longest retry delay. @defaultValue 60000 */
    retryMaxMs: int(0).default(60_000),
    /** Largest file accepted. @defaultValue 104857600 (100 MiB) */
    maxFileBytes: int(1).default(100 * 1024 * 1024),
    /** Longest a parse may take. @defaultValue 120000 */
    parseTimeoutMs: int(1).default(120_000),
    /** Whether `sluice serve` runs workers in its own process. @defaultValue true */
    workers: boolish.default(true),
    /** HTTP port of `sluice serve`. @defaultValue 8080 */
    port: int(0).max(65535).default(8080),
    /** Address `sluice serve` listens on. @defaultValue `0.0.0.0` */
    host: z.string().min(1).default('0.0.0.0'),
    /** Most files in one upload request. @defaultValue 1000 */
    maxUploadFiles: int(1).default(1000),
    /** Most bytes in one upload request. @defaultValue 1073741824 (1 GiB) */
    maxRequestBytes: int(1).default(1024 * 1024 * 1024),
    /** Requests per minute per API key. @defaultValue 6000 */
    rateLimitPerMinute: int(1).default(6000),
    /** Seconds between SSE heartbeats. @defaultValue 15 */
    sseHeartbeatSeconds: z.coerce.number().positive().default(15),
  })
  .refine((c) => c.chunkOverlap < c.chunkTokens, { message: 'chunkOverlap must be smaller than chunkTokens', path: ['chunkOverlap'] });

export type SluiceConfig = Readonly<z.infer<typeof configSchema>>;
export type ConfigInput = { [K in keyof SluiceConfig]?: unknown };

const envNames: Record<keyof SluiceConfig, string> = {
  dataDir: 'SLUICE_DATA_DIR',
  logLevel: 'SLUICE_LOG_LEVEL',
  embedder: 'SLUICE_EMBEDDER',
  embedDimension: 'SLUICE_EMBED_DIMENSION',
  embedBatchSize: 'SLUICE_EMBED_BATCH_SIZE',
  chunkTokens: 'SLUICE_CHUNK_TOKENS',
  chunkOverlap: 'SLUICE_CHUNK_OVERLAP',
  concurrency: 'SLUICE_CONCURRENCY',
  maxAttempts: 'SLUICE_MAX_ATTEMPTS',
  retryBaseMs: 'SLUICE_RETRY_BASE_MS',
  retryMaxMs: 'SLUICE_RETRY_MAX_MS',
  maxFileBytes: 'SLUICE_MAX_FILE_BYTES',
  parseTimeoutMs: 'SLUICE_PARSE_TIMEOUT_MS',
  workers: 'SLUICE_WORKERS',
  port: 'PORT',
  host: 'SLUICE_HOST',
  maxUploadFiles: 'SLUICE_MAX_UPLOAD_FILES',
  maxRequestBytes: 'SLUICE_MAX_REQUEST_BYTES',
  rateLimitPerMinute: 'SLUICE_RATE_LIMIT_PER_MINUTE',
  sseHeartbeatSeconds: 'SLUICE_SSE_HEARTBEAT_SECONDS',
};

/** The environment variable of each setting, for documentation and error messages. */
export const configEnvNames: Readonly<Record<keyof SluiceConfig, string>> = envNames;

/**
 * Resolves the configuration: flags > environment > defaults. The only reader of `process.env` is the
 * caller that passes it in. Every problem is reported at once, naming the variable or flag.
 */
export function loadConfig(env: Record<string, string | undefined>, flags: ConfigInput = {}): SluiceConfig {
  const input: Record<string, unknown> = {};
  for (const [key, name] of Object.entries(envNames)) {
    const fromEnv = env[name];
    const fromFlag = flags[key as keyof SluiceConfig];
    const value = fromFlag ?? (fromEnv === '' ? undefined : fromEnv);
    if (value !== undefined) {
      input[key] = value;
    }
  }
  const result = configSchema.safeParse(input);
  if (!result.success) {
    const problems = result.error.issues.map((issue) => {
      const key = String(issue.path[0] ?? '');
      const name = envNames[key as keyof SluiceConfig];
      return name ? `${key} (${name}): ${issue.message}` : issue.message;
    });
    throw new SluiceError('invalid_config', `Invalid configuration:\n  ${problems.join('\n  ')}`);
  }
  return Object.freeze({ ...result.data, dataDir: resolve(result.data.dataDir) });
}
