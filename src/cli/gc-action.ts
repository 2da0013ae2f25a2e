import { setTimeout as sleep } from 'node:timers/promises';
import { SluiceError } from '../core/errors.js';
import type { SweepReport } from '../services/collect-garbage.js';
import { print } from './output.js';
import type { CommonFlags } from './command-config.js';
import { withApp } from './with-app.js';

export interface GcFlags extends CommonFlags {
  json?: boolean;
  wait: string;
}

const mb = (bytes: number): string => `${(bytes / 1e6).toFixed(1)} MB`;

function printReport(report: SweepReport): void {
  print(`raw files removed: ${report.blobs.removed} (${mb(report.blobs.bytes)}); kept: ${report.blobs.kept}`);
  print(`staging files of dead uploads removed: ${report.staging.files} (${mb(report.staging.bytes)})`);
  print(
    `rows removed: ${report.rows.events} events, ${report.rows.idempotencyKeys} idempotency records, ${report.rows.batches} batches`,
  );
  for (const step of report.compaction?.done ?? []) {
    print(`compacted: ${step}`);
  }
  const { disk } = report;
  print(
    `on disk now: raw files ${mb(disk.blobs.bytes)} (${disk.blobs.files}), database ${mb(disk.databaseBytes)}, staging ${mb(disk.staging.bytes)} (${disk.staging.files})`,
  );
  for (const problem of [...(report.compaction?.notDone ?? []), ...report.errors]) {
    print(`not done: ${problem}`);
  }
}

/** `sluice gc`: sweeps now, waiting a while for a sweep another process is running. */
export async function runGc(flags: GcFlags): Promise<void> {
  process.exitCode = await withApp({ ...flags, workers: false }, async (app) => {
    const deadline = Date.now() + Number(flags.wait) * 1000;
    let report = await app.sweep({ compact: true });
    while (!report && Date.now() < deadline) {
      await sleep(1000);
      report = await app.sweep({ compact: true });
    }
    if (!report) {
      throw new SluiceError('not_ready', 'Another process kept sweeping throughout: try again later');
    }
    if (flags.json) {
      print(JSON.stringify(report, null, 2));
    } else {
      printReport(report);
    }
    return report.errors.length > 0 || (report.compaction?.notDone.length ?? 0) > 0 ? 1 : 0;
  });
}
