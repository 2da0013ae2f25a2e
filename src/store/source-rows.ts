import { scanSilenceMs, type ScanReport, type SourceRecord } from '../ports/source-store.js';

export interface SourceRow {
  id: string;
  collection_id: string;
  type: string;
  url: string;
  /** JSON text in SQLite, parsed JSON in PostgreSQL. */
  include: string | string[];
  exclude: string | string[];
  created_at: string;
  scan: string | ScanReport | null;
  scan_alive_at: string | null;
}

const parsed = <T>(value: string | T): T => (typeof value === 'string' ? (JSON.parse(value) as T) : value);

export function toSource(row: SourceRow, now: number = Date.now()): SourceRecord {
  let scan = row.scan === null ? null : parsed<ScanReport>(row.scan);
  const alive = row.scan_alive_at === null ? 0 : Date.parse(row.scan_alive_at);
  if (scan?.state === 'running' && now - alive > scanSilenceMs) {
    scan = { ...scan, state: 'interrupted' };
  }
  return {
    id: row.id,
    collectionId: row.collection_id,
    type: 's3',
    url: row.url,
    include: parsed<string[]>(row.include),
    exclude: parsed<string[]>(row.exclude),
    createdAt: row.created_at,
    scan,
  };
}
