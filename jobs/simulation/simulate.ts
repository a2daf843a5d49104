import { mkdir, readFile } from 'node:fs/promises';
import { seededRandom } from '../seeded-random.js';
import path from 'node:path';
import winston from 'winston';
import { runTraining } from '../../scripts/lib/python.js';
import type { LoanApplication } from '../../service/src/contract/loan-application.contract.js';
import { loadVersion } from '../../service/src/model/load-version.js';
import { answerUnder } from '../../service/src/predict/answer.js';
import { BUILT_IN_POLICY } from '../../service/src/policy/default-policy.js';
import { FsBlobStore } from '../../service/src/storage/fs-blob-store.js';
import { parseCsv, toApplication } from '../retraining/data-rows.js';
import { pythonTrainer } from '../retraining/python-trainer.js';
import { retrain } from '../retraining/retrain.js';
import type { TrafficLight } from '../backtesting/traffic-lights.js';
import { writePredictionLog } from './prediction-log-files.js';
import { startStore } from './start-store.js';

/**
 * A year of the monthly loop with the truth known. Each month's applicants come from the synthetic generator, which
 * knows each one's true probability of default; from `shiftAt` on, a shock raises every true probability (by
 * `shock` in odds: 1/0.7 makes the probabilities the models learnt 30% too low). The serving version decides each
 * application (its probability, its threshold); outcomes are drawn from the truth, for approved applications only,
 * and arrive the month after. At each month's end the monthly run (retrain, as the task runs it) backtests
 * production on the outcomes that arrived, trains a candidate and gates it. Each month reports production's
 * traffic lights on matured outcomes, the gate's decision, and the true calibration of the serving version over
 * the whole population (approved and declined), which no lender can see.
 */
export interface SimulationOptions {
  dir: string;
  months: number;
  /** The first month whose applicants are shocked (0-based); none when absent. */
  shiftAt?: number;
  /** How the shock multiplies each applicant's odds of default. */
  shock: number;
  perMonth: number;
  seed: number;
  /** The training frame's window: short, so the loop learns a shifted population within a few months. */
  trainMonths: number;
  /**
   * Start the first snapshot from the starting model's data (every applicant's outcome, declined ones included): an
   * unbiased anchor the frame keeps while its window reaches the oldest month.
   */
  anchor: boolean;
  /** The share of the most recent training rows the candidate's intercept is re-estimated on (0: off). */
  recalibrateRecent: number;
  /** Fit each candidate's intercept on every other row of its (most recent) holdout, judged on the others. */
  recalibrateHoldout: boolean;
  /** Budget for training's hyperparameter search, in seconds (0: the defaults). */
  searchSeconds?: number;
  logger: winston.Logger;
}

export interface SimulatedMonth {
  month: string;
  shocked: boolean;
  serving_version: string;
  applications: number;
  approved: number;
  /** The serving version's mean probability over the whole population against the mean true probability. */
  true_calibration: { mean_pd: number; mean_true_pd: number; ratio: number };
  /** Production's backtest on the outcomes that arrived this month (applications of the month before). */
  production_light: TrafficLight | null;
  /** The portfolio's own light (calibration in the large), beside the worst of it and the grades. */
  production_portfolio_light: TrafficLight | null;
  production_red_grades: string[];
  /** Grades judged yellow or red, with their light (R4:yellow). */
  production_flagged_grades: string[];
  production_ece: number | null;
  gate: string;
  gate_reasons: string[];
}

const NAME = 'loan-default';
const monthStart = (m: number) => Date.UTC(2026, m, 1);
const logit = (p: number) => Math.log(p / (1 - p));
const sigmoid = (z: number) => 1 / (1 + Math.exp(-z));

export async function simulateYear(options: SimulationOptions): Promise<SimulatedMonth[]> {
  const { dir, perMonth, logger } = options;
  await mkdir(dir, { recursive: true });
  const store = await startStore(dir, 20_000, options.seed);
  const dataRoot = new FsBlobStore(path.join(dir, 'data'));
  const draw = seededRandom(options.seed);
  const months: SimulatedMonth[] = [];
  /** The outcomes of last month's approved applications, arriving at this month's run. */
  let arriving: string[] = [];
  for (let m = 0; m < options.months; m++) {
    const shocked = options.shiftAt !== undefined && m >= options.shiftAt;
    const file = path.join(dir, `applicants-${m}.csv`);
    await runTraining([
      'generate',
      '--rows',
      String(perMonth),
      '--seed',
      String(options.seed * 1000 + m),
      '--out',
      file,
    ]);
    const rows = parseCsv(await readFile(file));
    const truth = rows.map((r) => {
      const p = Number(r.true_probability_of_default);
      return shocked ? sigmoid(logit(p) + Math.log(options.shock)) : p;
    });
    const applications: LoanApplication[] = rows.map(toApplication);

    // The serving version decides.
    const pointer = (await store.readChannel(NAME, 'production'))!;
    const model = await loadVersion(store, NAME, pointer.version);
    const scores = await model.score(applications);
    const answers = applications.map((application, i) => ({
      prediction_id: `sim-${m}-${i}`,
      application_id: `sim-${m}-${i}`,
      ...answerUnder(BUILT_IN_POLICY, model, application, scores[i]),
    }));
    const days = (monthStart(m + 1) - monthStart(m)) / 86_400_000;
    const groups = Array.from({ length: days }, (_, d) => ({
      time: monthStart(m) + d * 86_400_000 + 9 * 3_600_000,
      requestId: null,
      modelVersion: model.version,
      threshold: model.threshold,
      ratingGrades: model.ratingGrades,
    }));
    await writePredictionLog(dataRoot, `m${m}`, applications, answers, (i) => groups[i % days]);
    await model.release();

    // This month's run: the outcomes of last month's approved applications.
    const outcomes = ['application_id,loan_paid_back,observed_at', ...arriving].join('\n') + '\n';
    const run =
      arriving.length > 0
        ? await retrain({
            store,
            dataRoot,
            outcomes: Buffer.from(outcomes),
            outcomesName: `outcomes of month ${m - 1}`,
            base:
              options.anchor && months.every((r) => r.gate === 'no outcomes yet')
                ? await readFile(path.join(dir, 'start.csv'))
                : undefined,
            name: NAME,
            channel: 'production',
            minAuc: 0.7,
            maxDrop: 0.02,
            trainingFrame: { months: options.trainMonths, maxRows: 500_000 },
            logger,
            train: pythonTrainer(options.seed, {
              recalibrateRecent: options.recalibrateRecent,
              recalibrateHoldout: options.recalibrateHoldout,
              searchSeconds: options.searchSeconds,
            }),
            now: () => new Date(monthStart(m + 1) - 3_600_000),
          })
        : null;
    const backtest = run?.production_backtest?.backtest ?? null;
    const meanPd = scores.reduce((a, b) => a + b, 0) / scores.length;
    const meanTrue = truth.reduce((a, b) => a + b, 0) / truth.length;
    months.push({
      month: new Date(monthStart(m)).toISOString().slice(0, 7),
      shocked,
      serving_version: pointer.version,
      applications: applications.length,
      approved: answers.filter((a) => a.decision === 'approve').length,
      true_calibration: { mean_pd: meanPd, mean_true_pd: meanTrue, ratio: meanPd / meanTrue },
      production_light: backtest?.worst_light ?? null,
      production_portfolio_light: backtest?.portfolio.light ?? null,
      production_red_grades: backtest?.red_grades ?? [],
      production_flagged_grades: (backtest?.grades ?? [])
        .filter((g) => g.light === 'yellow' || g.light === 'red')
        .map((g) => `${g.grade}:${g.light}`),
      production_ece: backtest?.portfolio.expected_calibration_error ?? null,
      gate: run?.status ?? 'no outcomes yet',
      gate_reasons: run?.reasons ?? [],
    });
    logger.info({ message: 'simulated month', ...months[months.length - 1] });

    // Outcomes of this month's approved loans, drawn from the truth, arrive at next month's run.
    const observed = new Date(monthStart(m + 1) + 20 * 86_400_000).toISOString();
    arriving = answers.flatMap((a, i) =>
      a.decision === 'approve' ? [`${a.application_id},${draw() < truth[i] ? 0 : 1},${observed}`] : [],
    );
  }
  return months;
}
