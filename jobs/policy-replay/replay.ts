import type { BlobStore } from '../../service/src/storage/blob-store.js';
import { INPUT_FIELDS, LoanApplication } from '../../service/src/contract/loan-application.contract.js';
import { CreditPolicy, decide, PolicyDecision } from '../../service/src/policy/credit-policy.js';
import { committedParts, compact } from '../tables/compaction.js';
import { Engine, readParquet, sqlString } from '../tables/engine.js';
import { LocalFiles } from '../tables/local-files.js';

/** What moved between two decisions: how many, and their mean probability of default. */
export interface Move {
  from: PolicyDecision;
  to: PolicyDecision;
  count: number;
  mean_probability_of_default: number;
}

export interface ReplayReport {
  period: { from: string | null; to: string | null };
  applications: number;
  /** Every (logged decision -> candidate's decision) pair, the unmoved included. */
  moves: Move[];
  /** The applications that change decision, by loan purpose. */
  swaps_by_segment: Record<string, number>;
  swaps: number;
  before: { approval_rate: number; refer_rate: number; decline_rate: number };
  after: { approval_rate: number; refer_rate: number; decline_rate: number };
  rules_fired: Record<string, number>;
}

const DECISIONS: PolicyDecision[] = ['approve', 'refer', 'decline'];

/**
 * Re-decides the logged applications of a period under a candidate policy, with the probabilities and thresholds
 * they were given, and counts the swap set: who would move between approve, refer and decline, by segment, with
 * their mean probability of default. Reads the applications table (compacting the log first, open day included),
 * streamed in the engine's chunks: memory holds counts, not rows.
 */
export async function replayPolicy(
  root: BlobStore,
  engine: Engine,
  policy: CreditPolicy,
  { from, to }: { from?: Date; to?: Date } = {},
): Promise<ReplayReport> {
  await compact(root, engine, { includeOpenDay: true });
  const parts = await committedParts(root);
  const counts = new Map<string, { count: number; sum: number }>();
  const bySegment: Record<string, number> = {};
  const fired: Record<string, number> = {};
  let applications = 0;
  const where = [
    ...(from ? [`answered_at >= ${sqlString(from.toISOString())}::TIMESTAMP`] : []),
    ...(to ? [`answered_at < ${sqlString(to.toISOString())}::TIMESTAMP`] : []),
  ];
  await new LocalFiles(root, engine.workDir).inBatches(parts, async (paths) => {
    const stream = await engine.connection.stream(
      `SELECT ${INPUT_FIELDS.join(', ')}, probability_of_default, decision, threshold FROM ${readParquet(paths)}` +
        (where.length ? ` WHERE ${where.join(' AND ')}` : ''),
    );
    for (let chunk = await stream.fetchChunk(); chunk && chunk.rowCount > 0; chunk = await stream.fetchChunk()) {
      for (const row of chunk.getRowObjects(stream.columnNames())) {
        const application = Object.fromEntries(INPUT_FIELDS.map((f) => [f, row[f]])) as unknown as LoanApplication;
        const p = Number(row.probability_of_default);
        const outcome = decide(policy, application, p, Number(row.threshold));
        const key = `${row.decision}>${outcome.decision}`;
        const cell = counts.get(key) ?? { count: 0, sum: 0 };
        cell.count++;
        cell.sum += p;
        counts.set(key, cell);
        if (row.decision !== outcome.decision)
          bySegment[String(row.loan_purpose)] = (bySegment[String(row.loan_purpose)] ?? 0) + 1;
        for (const rule of outcome.rules_fired) fired[rule] = (fired[rule] ?? 0) + 1;
        applications++;
      }
    }
  });
  const moves: Move[] = [];
  for (const fromDecision of DECISIONS)
    for (const toDecision of DECISIONS) {
      const cell = counts.get(`${fromDecision}>${toDecision}`);
      if (cell)
        moves.push({
          from: fromDecision,
          to: toDecision,
          count: cell.count,
          mean_probability_of_default: cell.sum / cell.count,
        });
    }
  const rate = (side: 'from' | 'to', decision: PolicyDecision) =>
    applications ? moves.filter((m) => m[side] === decision).reduce((n, m) => n + m.count, 0) / applications : 0;
  const rates = (side: 'from' | 'to') => ({
    approval_rate: rate(side, 'approve'),
    refer_rate: rate(side, 'refer'),
    decline_rate: rate(side, 'decline'),
  });
  return {
    period: { from: from?.toISOString() ?? null, to: to?.toISOString() ?? null },
    applications,
    moves,
    swaps_by_segment: bySegment,
    swaps: moves.filter((m) => m.from !== m.to).reduce((n, m) => n + m.count, 0),
    before: rates('from'),
    after: rates('to'),
    rules_fired: fired,
  };
}
