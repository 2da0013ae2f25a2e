import { availableParallelism } from 'node:os';
import { join, resolve } from 'node:path';
import { z } from 'zod';
import { SluiceError } from '../core/errors.js';
import { mcpIngestKinds, type McpIngestKind } from '../mcp/mcp-settings.js';
import { maxSemiSpaceGrowthFactor } from '../runtime/semi-space-growth.js';
import { configEnvNames } from './config-env-names.js';

const int = (min: number) => z.coerce.number().int().min(min);
const boolish = z
  .union([z.boolean(), z.enum(['true', 'false', '1', '0'])])
  .transform((v) => v === true || v === 'true' || v === '1');

/** The one configuration schema; flags override `SLUICE_*` environment variables, which override defaults. */
const configSchema = z
  .object({
    /** Folder holding the SQLite file and the raw files. @defaultValue `./.sluice` */
    dataDir: z.string().min(1).default('./.sluice'),
    /** pino level. @defaultValue `warn` for CLI commands */
    logLevel: z.enum(['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent']).default('warn'),
    /** Embedder kind: `hash` (offline, lexical), `openai` (any OpenAI-compatible API) or `local` (an ONNX model in this process). @defaultValue `hash` */
    embedder: z.enum(['hash', 'openai', 'local']).default('hash'),
    /** Folder of the ONNX sentence-embedding model of the `local` embedder. */
    localModelPath: z.string().min(1).optional(),
    /** Vector dimension; 384 for `hash`, required for `openai` (the model's, e.g. 1536). */
    embedDimension: int(8).max(16384).optional(),
    /** Model name sent to an `openai` embedder. @defaultValue `text-embedding-3-small` */
    embedModel: z.string().min(1).default('text-embedding-3-small'),
    /** Base URL of an OpenAI-compatible API. @defaultValue `https://api.openai.com/v1` */
    openaiBaseUrl: z.url().default('https://api.openai.com/v1'),
    /** API key of the `openai` embedder (sent as a Bearer token). */
    openaiApiKey: z.string().optional(),
    /** Extra request headers for the `openai` embedder, as JSON (e.g. `{"api-key":"…"}` for Azure). @defaultValue `{}` */
    embedHeaders: z
      .string()
      .default('{}')
      .transform((v, ctx) => {
        try {
          return z.record(z.string(), z.string()).parse(JSON.parse(v));
        } catch {
          ctx.addIssue({ code: 'custom', message: 'must be a JSON object of strings' });
          return z.NEVER;
        }
      }),
    /** Keep vectors in the ledger by text hash and model, so unchanged chunks are not embedded again. @defaultValue true, except for `hash` (recomputing is cheaper) */
    embedCache: boolish.optional(),
    /** Send `dimensions` to the API (models that can shorten vectors). @defaultValue false */
    embedSendDimensions: boolish.default(false),
    /** Timeout of one embedding request. @defaultValue 60000 */
    embedTimeoutMs: int(1).default(60_000),
    /** Retries of one embedding request after transient failures. @defaultValue 6 */
    embedMaxRetries: int(0).max(50).default(6),
    /** Embedding requests in flight at once per process. @defaultValue 4 */
    embedMaxConcurrent: int(1).max(256).default(4),
    /** Embedding requests per minute per process; 0 for no limit. @defaultValue 0 */
    embedRequestsPerMinute: int(0).default(0),
    /** Embedding input tokens per minute per process; 0 for no limit. @defaultValue 0 */
    embedTokensPerMinute: int(0).default(0),
    /** Longest input the model accepts, in tokens. @defaultValue 8191 */
    embedMaxInputTokens: int(1).default(8191),
    /** Most input tokens in one request. @defaultValue 300000 */
    embedMaxTokensPerRequest: int(1).default(300_000),
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
    /** Index SVG, XPM, style sheets and source maps as plain text instead of refusing them. @defaultValue false */
    indexNonProse: boolish.default(false),
    /**
     * Child processes that parse and chunk files, away from the main thread and each with its own heap
     * limit; 0 parses and chunks in the main thread, without the sandbox. @defaultValue the number of CPUs
     */
    parseProcesses: int(0).max(64).default(availableParallelism()),
    /**
     * Scheduling priority (nice) of the parse processes: parsing is background work, and at the default
     * the process's own thread (uploads, searches, publishing) goes first whenever the CPUs are all busy.
     * 0 runs them at the process's own priority. @defaultValue 10
     */
    parseNice: int(0).max(19).default(10),
    /** Heap limit of each parse process; a file that needs more fails with `worker_crashed`. @defaultValue 512 */
    parseMaxHeapMb: int(32).default(512),
    /**
     * A PDF of at least this many bytes is read in parts, one per parse process, at once: faster on a
     * large book alone, at the cost of each process holding the file open and of the joined text passing
     * through this process. With PDFium a large book reads quickly in one process, and reading it in parts
     * made a whole-corpus ingest no faster, only larger (measured in BENCH.md).
     * 0: every file is read by one process. @defaultValue 16777216 (16 MiB)
     */
    pdfSplitBytes: int(0).default(16 * 1024 * 1024),
    /**
     * Memory, in MiB, for int8 copies of searched collections' vectors (embedded store): vector search
     * scans them in memory instead of sqlite-vec's table, several times faster (BENCH.md). The least
     * recently searched collections go first; 0 searches with sqlite-vec alone. @defaultValue 512 (a million
     * chunks of 384 dimensions)
     */
    vectorScanMb: int(0).default(512),
    /**
     * The most matching chunks a text search ranks by BM25 (embedded store): where a word is in more
     * chunks than this, only the newest this many are ranked, which bounds the cost of a word in most of
     * a large collection's chunks (BENCH.md). 0: every match is ranked. @defaultValue 20000
     */
    textRankLimit: int(0).default(20_000),
    /**
     * Documents of one tenant handed to the queue at once (per-tenant concurrency); the rest wait their
     * turn in the ledger, so tenants are served round-robin. 0: no limit. Set it to about the number of
     * documents all workers run at once. @defaultValue 32
     */
    tenantMaxInFlight: int(0).default(32),
    /** Documents a tenant may hold (queued, running or completed); 0: no limit. @defaultValue 0 */
    tenantMaxDocuments: int(0).default(0),
    /** Bytes of files a tenant may hold; 0: no limit. @defaultValue 0 */
    tenantMaxBytes: int(0).default(0),
    /** Chunks a tenant may hold; 0: no limit. @defaultValue 0 */
    tenantMaxChunks: int(0).default(0),
    /** Whether `sluice serve` runs workers in its own process. @defaultValue true */
    workers: boolish.default(true),
    /**
     * With the in-process queue, `sluice serve` runs its workers in a thread of their own, so that
     * ingesting never holds up the thread answering requests; false runs them on that thread.
     * @defaultValue true
     */
    workerThread: boolish.default(true),
    /**
     * Scheduling priority (nice) of that worker thread, as for `parseNice`: the thread that answers
     * requests shares the process and goes first when ingesting fills the CPUs. 0 runs it at the
     * process's own priority. @defaultValue 10
     */
    workerThreadNice: int(0).max(19).default(10),
    /**
     * How far, in percent, V8's old generation may grow past what its last full collection kept before
     * the next one starts (for all the process's threads). V8's own choice for a heap as small and quiet
     * as the API's collects often, each time pausing requests; a wider margin trades some memory for fewer
     * pauses. Elsewhere a narrow one gives back sooner the buffers that files and vectors pass through.
     * 0 leaves V8 its own choice. @defaultValue 300 where requests are answered, 50 elsewhere
     */
    heapGrowthPercent: int(0).max(1000).optional(),
    /**
     * How many times over V8 may grow the young generation's 1 MiB semi-spaces (up to 16 MiB each) in a
     * `sluice` process; read from the environment by `bin/sluice.js` before the CLI loads, since a process
     * that has loaded its modules has grown them already. Unset: 1 (they stay at 1 MiB: a lower peak
     * while ingesting, for no more CPU), except in `serve`, where V8's own factor (2) keeps uploads
     * prompt. @defaultValue 1, or V8's own in `serve`
     */
    semiSpaceGrowthFactor: int(1).max(maxSemiSpaceGrowthFactor).optional(),
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
    /** Failed authentications per minute per client address before it is answered 429. @defaultValue 20 */
    authFailuresPerMinute: int(1).default(20),
    /** How long a request body may go without a byte arriving before it is answered 408. @defaultValue 30000 */
    bodyTimeoutMs: int(100).default(30_000),
    /**
     * Whether client addresses come from `X-Forwarded-For` (set it only behind a proxy that sets the
     * header: anyone can send it). @defaultValue false
     */
    trustProxy: boolish.default(false),
    /** PostgreSQL (with pgvector) to use instead of the SQLite file, e.g. `postgres://user:pass@host/db`. */
    databaseUrl: z
      .string()
      .regex(/^postgres(ql)?:\/\//, 'must be a postgres:// URL')
      .optional(),
    /** Redis for the BullMQ queue and live events across processes, e.g. `redis://host:6379`. */
    redisUrl: z
      .string()
      .regex(/^rediss?:\/\//, 'must be a redis:// or rediss:// URL')
      .optional(),
    /** Prefix of Sluice's keys in Redis. @defaultValue `sluice` */
    redisPrefix: z
      .string()
      .regex(/^[A-Za-z0-9_-]+$/)
      .default('sluice'),
    /** Folder of the raw files; every API node and worker must see the same one. @defaultValue `<dataDir>/blobs` */
    blobDir: z.string().min(1).optional(),
    /**
     * Raw files in an S3-compatible bucket instead (`s3://bucket/prefix/`), read by every process with
     * no shared disk; the AWS SDK's own variables say where and as whom (`AWS_ENDPOINT_URL`,
     * `AWS_REGION`, `AWS_ACCESS_KEY_ID`, …). Uploads are still received into `blobDir` first.
     */
    blobUrl: z
      .string()
      .regex(/^s3:\/\/[a-z0-9][a-z0-9.-]{1,61}[a-z0-9](\/.*)?$/, 'must be an s3://bucket/prefix/ URL')
      .optional(),
    /**
     * Buckets the API may scan as sources (comma-separated; `*` for any the credentials reach). The
     * scans read with the service's own credentials, so no bucket is open to API keys by default; the
     * CLI, run by the operator, scans any. @defaultValue none
     */
    sourceBuckets: z
      .string()
      .default('')
      .transform((v) =>
        v
          .split(',')
          .map((b) => b.trim())
          .filter((b) => b !== ''),
      ),
    /** Address the bucket in the path (`https://host/bucket/key`), as MinIO wants. @defaultValue true when `AWS_ENDPOINT_URL` is set */
    s3PathStyle: boolish.optional(),
    /** How long a worker's hold on a job lasts without renewal; a dead worker's job is retaken after it. @defaultValue 10000 */
    lockDurationMs: int(1000).default(10_000),
    /** How often workers look for jobs whose worker died. @defaultValue 5000 */
    stalledIntervalMs: int(500).default(5_000),
    /** On shutdown, how long running documents may take to finish before they are handed back to the queue. @defaultValue 10000 */
    shutdownGraceMs: int(0).default(10_000),
    /** How often workers sweep: raw files nothing refers to, bookkeeping past retention, dead uploads' staging files (0: never). @defaultValue 300000 */
    sweepIntervalMs: int(0).default(300_000),
    /** Hours the events of a batch with nothing left to run are kept after its last change. @defaultValue 168 */
    retainEventsHours: z.coerce.number().nonnegative().default(168),
    /** Hours an answer recorded under an Idempotency-Key is kept. @defaultValue 24 */
    retainIdempotencyHours: z.coerce.number().nonnegative().default(24),
    /** Hours a batch with no document left (all deleted) is kept. @defaultValue 168 */
    retainBatchesHours: z.coerce.number().nonnegative().default(168),
    /** Hours a job that failed for good is kept in Redis (distributed mode). @defaultValue 168 */
    retainFailedJobsHours: z.coerce.number().nonnegative().default(168),
    /** Hours an upload's staging file may go untouched before a sweep removes it, even if its process still runs. @defaultValue 6 */
    stagingMaxAgeHours: z.coerce.number().positive().default(6),
    /** Seconds between SSE heartbeats. @defaultValue 15 */
    sseHeartbeatSeconds: z.coerce.number().positive().default(15),
    /**
     * What the MCP server's `ingest_url_or_text` tool takes (`sluice mcp` and `/mcp`): `off` (the tool is
     * not offered), `text`, `url` (fetched by the server) or `text,url`. @defaultValue `off`
     */
    mcpIngest: z
      .string()
      .default('off')
      .transform((v, ctx) => {
        const given = v.trim().toLowerCase();
        const kinds = given === 'off' ? [] : given.split(',').map((k) => k.trim());
        if (!kinds.every((k): k is McpIngestKind => mcpIngestKinds.includes(k as McpIngestKind))) {
          ctx.addIssue({ code: 'custom', message: 'must be off, text, url or text,url' });
          return z.NEVER;
        }
        return [...new Set(kinds)];
      }),
    /**
     * Let `ingest_url_or_text` fetch URLs whose host is a loopback, private, link-local or otherwise
     * non-public address. Off, a caller cannot make the server read its own network. @defaultValue false
     */
    mcpFetchPrivate: boolish.default(false),
    /** Most bytes `ingest_url_or_text` reads from a URL (and never more than `maxFileBytes`). @defaultValue 10485760 (10 MiB) */
    mcpFetchMaxBytes: int(1).default(10 * 1024 * 1024),
    /** Longest `ingest_url_or_text` spends fetching a URL, redirects included. @defaultValue 15000 */
    mcpFetchTimeoutMs: int(100).default(15_000),
  })
  .refine((c) => c.chunkOverlap < c.chunkTokens, {
    message: 'chunkOverlap must be smaller than chunkTokens',
    path: ['chunkOverlap'],
  })
  .refine((c) => c.embedder !== 'openai' || c.embedDimension !== undefined, {
    message: "is required with the openai embedder (the model's vector size, e.g. 1536)",
    path: ['embedDimension'],
  })
  .refine((c) => c.embedder !== 'local' || c.localModelPath !== undefined, {
    message: 'is required with the local embedder (a folder with config.json, tokenizer.json and onnx/model.onnx)',
    path: ['localModelPath'],
  })
  .refine((c) => c.embedder !== 'local' || c.embedDimension !== undefined, {
    message: "is required with the local embedder (the model's vector size, e.g. 384)",
    path: ['embedDimension'],
  })
  .refine((c) => c.embedder !== 'openai' || c.chunkTokens <= c.embedMaxInputTokens, {
    message: 'chunks would be longer than the model accepts (SLUICE_EMBED_MAX_INPUT_TOKENS)',
    path: ['chunkTokens'],
  })
  .transform((c) => ({
    ...c,
    embedDimension: c.embedDimension ?? 384,
    embedCache: c.embedCache ?? c.embedder !== 'hash',
  }));

export type SluiceConfig = Readonly<Omit<z.infer<typeof configSchema>, 'blobDir'> & { blobDir: string }>;
export type ConfigInput = { [K in keyof SluiceConfig]?: unknown };

/** Checked here, where the settings are known: a setting without its variable does not compile. */
const envNames: Readonly<Record<keyof SluiceConfig, string>> = configEnvNames;

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
  // Parsed once per process: zod's compiled fast path would take longer to build than it saves.
  const result = configSchema.safeParse(input, { jitless: true });
  if (!result.success) {
    const problems = result.error.issues.map((issue) => {
      const key = String(issue.path[0] ?? '');
      const name = envNames[key as keyof SluiceConfig];
      return name ? `${key} (${name}): ${issue.message}` : issue.message;
    });
    throw new SluiceError('invalid_config', `Invalid configuration:\n  ${problems.join('\n  ')}`);
  }
  const dataDir = resolve(result.data.dataDir);
  return Object.freeze({ ...result.data, dataDir, blobDir: resolve(result.data.blobDir ?? join(dataDir, 'blobs')) });
}
