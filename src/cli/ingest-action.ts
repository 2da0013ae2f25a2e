import { SluiceApiError } from '@sluice/client';
import { parseMetadata, type DocumentMetadata } from '../core/document-metadata.js';
import { isSluiceError, SluiceError } from '../core/errors.js';
import { metadataOfPairs, pathMetadataReader } from '../core/path-metadata.js';
import { expandPaths, type FoundFile } from '../services/expand-paths.js';
import { printError } from './output.js';
import { ingestWithProgress } from './ingest-progress.js';
import { ingestRemote, ingestRemoteSource } from './remote-ingest.js';
import { ingestFromSource, sourceUrlOf } from './scan-ingest.js';
import type { CommonFlags } from './command-config.js';
import { given, withApp } from './with-app.js';

export interface IngestFlags extends CommonFlags {
  collection: string;
  server?: string;
  apiKey?: string;
  priority: string;
  wait: boolean;
  include: string[];
  exclude: string[];
  prune?: boolean;
  metadata: string[];
  pathMetadata?: string;
}

/** `sluice ingest`: files, folders, globs or an s3:// prefix into a collection, here or on `--server`. */
export async function runIngest(paths: string[], flags: IngestFlags): Promise<void> {
  if (!given(flags.collection, '-c, --collection <name>')) {
    return;
  }
  if (flags.server) {
    process.exitCode = await remote(paths, flags, flags.server);
    return;
  }
  process.exitCode = await withApp(flags, async (app) => {
    const started = Date.now();
    const priority = checkedPriority(flags.priority);
    const metadataOf = fileMetadata(flags);
    const url = sourceUrlOf(paths);
    if (url) {
      refuseMetadataFor(flags);
      return ingestFromSource(app, { ...flags, url, priority, prune: flags.prune === true });
    }
    if (flags.prune) {
      throw new SluiceError('invalid_input', '--prune applies to an s3:// source');
    }
    const files = await filesToIngest(paths, flags);
    const tenant = await app.defaultTenant();
    const collection = await app.ensureCollection(tenant.id, flags.collection);
    const target = { collection, label: paths.join(' '), wait: flags.wait, started, expectedFiles: files.length };
    return ingestWithProgress(app, target, async (batch, onOutcome) => {
      await app.submit(
        { collection, batch, files, priority, ...(metadataOf ? { metadataOf: metadataOf.of } : {}) },
        onOutcome,
      );
      return { queued: `${files.length} files queued`, notes: [], problems: 0 };
    });
  });
}

async function remote(paths: string[], flags: IngestFlags, server: string): Promise<number> {
  const apiKey = flags.apiKey;
  if (!apiKey) {
    printError('error [unauthorized]: --server needs --api-key (or SLUICE_API_KEY)');
    return 1;
  }
  let metadataOf: ReturnType<typeof fileMetadata>;
  try {
    metadataOf = fileMetadata(flags);
    const url = sourceUrlOf(paths);
    if (url) {
      refuseMetadataFor(flags);
      const priority = checkedPriority(flags.priority);
      return await ingestRemoteSource({ ...flags, server, apiKey, url, priority, prune: flags.prune === true });
    }
    if (flags.prune) {
      throw new SluiceError('invalid_input', '--prune applies to an s3:// source');
    }
  } catch (error) {
    printError(describeError(error));
    return 1;
  }
  try {
    const files = await filesToIngest(paths, flags);
    return await ingestRemote({
      server,
      apiKey,
      collection: flags.collection,
      files,
      label: paths.join(' '),
      priority: checkedPriority(flags.priority),
      wait: flags.wait,
      ...(metadataOf ? { metadata: metadataOf } : {}),
    });
  } catch (error) {
    printError(describeError(error));
    return 1;
  }
}

const describeError = (error: unknown): string =>
  isSluiceError(error)
    ? `error [${error.code}]: ${error.message}`
    : error instanceof SluiceApiError
      ? `error [${error.code}]: ${error.problem?.detail ?? error.message}`
      : `error: ${error instanceof Error ? error.message : String(error)}`;

/** What `--metadata` and `--path-metadata` attach: the same to every file, and each file's own. */
interface FileMetadata {
  shared: DocumentMetadata;
  ownOf: (file: FoundFile) => DocumentMetadata;
  /** Both, as a file's document gets them (its own fields win). */
  of: (file: FoundFile) => DocumentMetadata;
}

/** The metadata options, checked once before any file is read; undefined for none. */
function fileMetadata(flags: IngestFlags): FileMetadata | undefined {
  if (flags.metadata.length === 0 && flags.pathMetadata === undefined) {
    return undefined;
  }
  const shared = parseMetadata(metadataOfPairs(flags.metadata));
  const fromPath = flags.pathMetadata === undefined ? undefined : pathMetadataReader(flags.pathMetadata);
  const ownOf = (file: FoundFile): DocumentMetadata => (fromPath ? parseMetadata(fromPath(file.relativePath)) : {});
  return { shared, ownOf, of: (file) => parseMetadata({ ...shared, ...ownOf(file) }) };
}

function refuseMetadataFor(flags: IngestFlags): void {
  if (flags.metadata.length > 0 || flags.pathMetadata !== undefined) {
    throw new SluiceError(
      'invalid_input',
      '--metadata and --path-metadata apply to files and folders, not to s3:// sources',
    );
  }
}

/** The files the paths name; a path that names nothing is an error before anything is ingested. */
async function filesToIngest(paths: string[], flags: IngestFlags): Promise<FoundFile[]> {
  const { files, missing } = await expandPaths(paths, process.cwd(), flags);
  if (missing.length > 0) {
    throw new SluiceError('not_found', `Nothing found at ${missing.join(', ')}; nothing was ingested`);
  }
  if (files.length === 0) {
    throw new SluiceError('invalid_input', 'No files to ingest');
  }
  return files;
}

function checkedPriority(text: string): number {
  const priority = Number(text);
  if (!Number.isInteger(priority) || priority < -100 || priority > 100) {
    throw new SluiceError('invalid_input', '--priority must be a whole number from -100 to 100');
  }
  return priority;
}
