import os from 'node:os';
import { parseCli, required, runCli, UsageError } from '../scripts/lib/cli.js';
import { createJsonLineLogger } from '../service/src/logging/logger.js';
import { BookInputError } from './book-scoring/book-contract.js';
import { RejectRateError, runBook } from './book-scoring/run-book.js';
import type { ReasonsOption } from './book-scoring/score-part.js';
import { fraction } from './job-inputs.js';

const USAGE =
  'usage: npm run score-book -- --in FILE|DIR|s3://prefix --out DIR|s3://prefix [--store models] [--name loan-default] ' +
  '[--version V | --channel production] [--policy-version V|default | --policy-channel production] [--key loan_id] ' +
  '[--reasons none|declines|all] [--workers N] ' +
  '[--max-reject-rate 0.01] [--part KEY | --single-part | --finalize]';
/**
 * Exit codes: done; failed; bad arguments or a part that is not a book (not Parquet/CSV, a column missing or
 * mistyped); too many rejects.
 */
const EXIT = { done: 0, failed: 1, badInput: 2, rejects: 3 } as const;
const REASONS: readonly ReasonsOption[] = ['none', 'declines', 'all'];

runCli(
  USAGE,
  async () => {
    const { values } = parseCli(USAGE, {
      in: { type: 'string' },
      out: { type: 'string' },
      store: { type: 'string', default: process.env.MODEL_STORE ?? 'models' },
      name: { type: 'string', default: 'loan-default' },
      version: { type: 'string' },
      channel: { type: 'string', default: 'production' },
      'policy-version': { type: 'string' },
      'policy-channel': { type: 'string', default: process.env.POLICY_CHANNEL ?? 'production' },
      key: { type: 'string', default: 'loan_id' },
      reasons: { type: 'string', default: 'declines' },
      workers: { type: 'string', default: String(os.availableParallelism()) },
      'max-reject-rate': { type: 'string', default: '0.01' },
      part: { type: 'string' },
      // --in names one part (a Step Functions map item): score it alone, no manifest.
      'single-part': { type: 'boolean' },
      finalize: { type: 'boolean' },
    });
    const reasons = values.reasons as ReasonsOption;
    if (!REASONS.includes(reasons))
      throw new UsageError(`--reasons must be one of ${REASONS.join(', ')}, got '${reasons}'`);
    const workers = Number(values.workers);
    if (!Number.isInteger(workers) || workers < 1)
      throw new UsageError(`--workers must be a whole number of at least 1, got '${values.workers}'`);
    if (values.part !== undefined && values.finalize)
      throw new UsageError('--part and --finalize are two different steps');
    const logger = createJsonLineLogger(process.env.LOG_LEVEL ?? 'info');
    try {
      const result = await runBook({
        input: required(values, 'in'),
        output: required(values, 'out'),
        model: {
          store: values.store as string,
          name: values.name as string,
          version: values.version as string | undefined,
          channel: values.channel as string,
        },
        policy: {
          store: values.store as string,
          name: values.name as string,
          version: values['policy-version'] as string | undefined,
          channel: values['policy-channel'] as string,
        },
        options: { key: values.key as string, reasons },
        workers,
        maxRejectRate: fraction(values, 'max-reject-rate'),
        part: values.part as string | undefined,
        singlePart: Boolean(values['single-part']),
        finalize: Boolean(values.finalize),
        logger,
      });
      const { parts: _parts, ...summary } = result as { parts?: unknown };
      process.stdout.write(JSON.stringify(summary) + '\n');
      return EXIT.done;
    } catch (error) {
      if (error instanceof BookInputError || error instanceof RejectRateError) {
        logger.error(error.message);
        process.stderr.write(`error: ${error.message}\n`);
        return error instanceof BookInputError ? EXIT.badInput : EXIT.rejects;
      }
      throw error;
    }
  },
  { errors: 'json' },
);
