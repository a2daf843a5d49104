import type { BlobStore } from '../../service/src/storage/blob-store.js';

/** retraining/<run>/: each round's decision report (report.json and report.html). The tables are in ../tables. */
export const RETRAINING = 'retraining/';

/** A job's decision as `<prefix>/report.json` and `<prefix>/report.html` in the data root. */
export async function writeReport(root: BlobStore, prefix: string, report: unknown, html: string): Promise<void> {
  await root.put(`${prefix}/report.json`, Buffer.from(JSON.stringify(report, null, 2) + '\n'), {
    contentType: 'application/json',
  });
  await root.put(`${prefix}/report.html`, Buffer.from(html), { contentType: 'text/html; charset=utf-8' });
}
