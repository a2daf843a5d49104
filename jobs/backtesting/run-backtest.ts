import type { ModelStore } from '../../service/src/model/model-store.js';
import type { BlobStore } from '../../service/src/storage/blob-store.js';
import escapeHtml from '../retraining/html-escape.js';
import { timeId } from '../../service/src/model/time-id.js';
import { writeReport } from '../retraining/data-root.js';
import { committedParts, compact } from '../tables/compaction.js';
import { Engine, readParquet, sqlString, withEngine } from '../tables/engine.js';
import { LocalFiles } from '../tables/local-files.js';
import { joinOutcomes, MATCHED } from '../tables/outcome-join.js';
import type { Backtest } from './backtest.js';
import type { MasterScale } from '../../service/src/model/master-scale.js';
import { backtestVersion, readVersionPromise } from './version-backtest.js';
import { backtestHtml } from './report-html.js';

export const BACKTESTS = 'backtests/';

/** What the outcomes can show of one version's decisions, and what they cannot. */
export interface Coverage {
  /** The answers this version gave between the first and the last judged application. */
  period: { from: string; to: string };
  applications: number;
  declined: number;
  /** Applications of the period with a matured outcome: the share judged. */
  with_outcome: number;
  share_with_outcome: number;
  statement: string;
}

export interface VersionBacktest {
  version: string;
  /** Whether the scale is the version's own (its manifest) or the default one (a version before master scales). */
  scale: 'own' | 'default';
  master_scale: MasterScale;
  backtest: Backtest;
  coverage: Coverage;
}

export interface BacktestReport {
  run_id: string;
  as_of: string;
  outcomes: {
    rows: number;
    matched: number;
    unmatched: number;
    duplicate: number;
    invalid: number;
    not_matured: number;
  };
  versions: VersionBacktest[];
}

export interface BacktestOptions {
  store: ModelStore;
  dataRoot: BlobStore;
  outcomes: Buffer;
  name: string;
  /** Only this version; by default every version that decided an application with an outcome. */
  version?: string;
  /** Outcomes observed after this are not matured yet (default: now). */
  asOf?: Date;
  minGradeCount?: number;
  now?: () => Date;
}

/**
 * Backtests one version on the matched rows it decided (the outcome join's table), with the probabilities it
 * gave as logged, on its own master scale (from its manifest) against its AUC at initial validation.
 */
export async function backtestDecisions(
  engine: Engine,
  store: ModelStore,
  name: string,
  version: string,
  { where = 'true', minGradeCount }: { where?: string; minGradeCount?: number } = {},
): Promise<{ test: Backtest; scale: MasterScale; own: boolean; from: string; to: string }> {
  const rows = `FROM ${MATCHED} WHERE ${where} AND model_version = ${sqlString(version)}`;
  const columns = (
    await engine.connection.runAndReadAll(
      `SELECT probability_of_default AS p, (1 - loan_paid_back)::INTEGER AS y ${rows}`,
    )
  ).getColumnsObjectJS() as Record<string, number[]>;
  const [period] = (
    await engine.connection.runAndReadAll(`SELECT min(answered_at) AS first, max(answered_at) AS last ${rows}`)
  ).getRowObjects();
  const judged = backtestVersion(columns.y, columns.p, await readVersionPromise(store, name, version), minGradeCount);
  return { ...judged, from: String(period.first ?? ''), to: String(period.last ?? '') };
}

/** The answers one version gave in a period, and how many it declined, from the applications table. */
async function periodCounts(root: BlobStore, engine: Engine, version: string, from: string, to: string) {
  let applications = 0;
  let declined = 0;
  await new LocalFiles(root, engine.workDir).inBatches(await committedParts(root), async (paths) => {
    const [row] = (
      await engine.connection.runAndReadAll(`SELECT count(*)::BIGINT AS n, count_if(decision = 'decline')::BIGINT AS d
        FROM ${readParquet(paths)} WHERE model_version = ${sqlString(version)}
          AND answered_at BETWEEN CAST(${sqlString(from)} AS TIMESTAMP) AND CAST(${sqlString(to)} AS TIMESTAMP)`)
    ).getRowObjects();
    applications += Number(row.n);
    declined += Number(row.d);
  });
  return { applications, declined };
}

/**
 * Judges each version on the matured outcomes of the applications it actually decided (the prediction log says
 * which version answered, and with what probability), per grade of its master scale and for the portfolio.
 * Writes backtests/<run>/report.json and report.html to the data root.
 */
export async function runBacktest(options: BacktestOptions): Promise<BacktestReport> {
  const now = options.now ?? (() => new Date());
  const asOf = options.asOf ?? now();
  const report = await withEngine('backtest', async (engine) => {
    await compact(options.dataRoot, engine, { asOf: now(), includeOpenDay: true });
    const join = await joinOutcomes(options.dataRoot, engine, options.outcomes, { knownParts: [] });
    const c = engine.connection;
    const matured = `observed_at <= ${sqlString(asOf.toISOString())} AND model_version IS NOT NULL`;
    const [{ n: notMatured }] = (
      await c.runAndReadAll(`SELECT count_if(NOT (${matured}))::INTEGER AS n FROM ${MATCHED}`)
    ).getRowObjects();
    const versions = (
      await c.runAndReadAll(`SELECT model_version AS v, count(*)::INTEGER AS n FROM ${MATCHED}
        WHERE ${matured} ${options.version ? `AND model_version = ${sqlString(options.version)}` : ''}
        GROUP BY 1 ORDER BY n DESC, v`)
    ).getRowObjects();
    const judged: VersionBacktest[] = [];
    for (const { v } of versions) {
      const version = String(v);
      const { test, scale, own, from, to } = await backtestDecisions(engine, options.store, options.name, version, {
        where: matured,
        minGradeCount: options.minGradeCount,
      });
      const period = await periodCounts(options.dataRoot, engine, version, from, to);
      const share = period.applications ? test.count / period.applications : 0;
      judged.push({
        version,
        scale: own ? 'own' : 'default',
        master_scale: scale,
        backtest: test,
        coverage: {
          period: { from, to },
          applications: period.applications,
          declined: period.declined,
          with_outcome: test.count,
          share_with_outcome: share,
          statement:
            `${(share * 100).toFixed(1)}% of the ${period.applications} applications this version answered in the period ` +
            `have a matured outcome. Outcomes come back only for approved loans: the ${period.declined} declined ` +
            'applications are absent, so these figures describe the approved population, not every applicant.',
        },
      });
    }
    const started = now();
    return {
      run_id: timeId(started, `${Math.random()}`),
      as_of: asOf.toISOString(),
      outcomes: {
        rows: join.counts.rows,
        matched: join.counts.matched,
        unmatched: join.counts.unmatched,
        duplicate: join.counts.duplicate,
        invalid: join.counts.invalid,
        not_matured: Number(notMatured),
      },
      versions: judged,
    } satisfies BacktestReport;
  });
  const prefix = `${BACKTESTS}${report.run_id}`;
  await writeReport(options.dataRoot, prefix, report, reportHtml(report));
  return report;
}

function reportHtml(report: BacktestReport): string {
  const sections = report.versions
    .map(
      (v) => `<h2>Version ${escapeHtml(v.version)}</h2>
<p>${escapeHtml(v.coverage.statement)} Period ${escapeHtml(v.coverage.period.from)} to ${escapeHtml(v.coverage.period.to)};
master scale: ${v.scale === 'own' ? "the version's own" : 'the default one (the version predates master scales)'}.</p>
${backtestHtml(v.backtest)}`,
    )
    .join('\n');
  return `<!doctype html><html lang="en"><head><meta charset="utf-8"><title>PD backtest ${escapeHtml(report.run_id)}</title>
<style>body{font-family:sans-serif;max-width:960px;margin:2em auto}table{border-collapse:collapse}th,td{border:1px solid #ccc;padding:4px 8px;text-align:left}</style></head>
<body><h1>PD backtest as of ${escapeHtml(report.as_of)}</h1>
<p>${report.outcomes.matched} of ${report.outcomes.rows} outcome rows matched a logged answer (${report.outcomes.unmatched} unmatched,
${report.outcomes.duplicate} duplicate, ${report.outcomes.invalid} invalid); ${report.outcomes.not_matured} observed after the as-of date are left out.</p>
${sections || '<p>No version decided an application with a matured outcome.</p>'}
</body></html>
`;
}
