import { parseArgs, type ParseArgsConfig } from 'node:util';

/** Exit codes shared by the scripts. */
export const EXIT = { ok: 0, failed: 1, usage: 2 } as const;

export class UsageError extends Error {}

type Options = NonNullable<ParseArgsConfig['options']>;

/**
 * Parses argv with node:util's parseArgs; --help prints the one-line usage and exits 0, and anything
 * unexpected becomes a UsageError that `runCli` reports with the usage line.
 */
export interface ParsedCli {
  values: Record<string, string | boolean | undefined>;
  positionals: string[];
}

export function parseCli(
  usage: string,
  options: Options,
  argv = process.argv.slice(2),
  positionals = false,
): ParsedCli {
  let parsed: ParsedCli;
  try {
    parsed = parseArgs({
      args: argv,
      options: { ...options, help: { type: 'boolean', short: 'h' } },
      allowPositionals: positionals,
      strict: true,
    });
  } catch (error) {
    throw new UsageError((error as Error).message);
  }
  if (parsed.values.help) {
    process.stdout.write(`${usage}\n`);
    process.exit(EXIT.ok);
  }
  return parsed;
}

export function required(values: Record<string, unknown>, name: string): string {
  const value = values[name];
  if (typeof value !== 'string' || value === '') throw new UsageError(`--${name} is required`);
  return value;
}

export function integerOption(values: Record<string, unknown>, name: string, min: number): number {
  const text = required(values, name);
  const value = Number(text);
  if (!Number.isInteger(value) || value < min)
    throw new UsageError(`--${name} must be an integer >= ${min}, got '${text}'`);
  return value;
}

/**
 * Runs a command's main, turning errors into one clear line on stderr and the right exit code. A command whose
 * output is JSON lines (a job read by CloudWatch metric filters) says `errors: 'json'`, and its failure line is
 * then `{"level":"error","message":...}` on stdout, like its other lines, so `{ $.level = "error" }` matches it.
 */
export function runCli(
  usage: string,
  main: () => Promise<number | void>,
  options: { errors?: 'text' | 'json' } = {},
): void {
  main().then(
    (code) => process.exit(code ?? EXIT.ok),
    (error: Error) => {
      const usageError = error instanceof UsageError;
      if (options.errors === 'json') {
        process.stdout.write(
          JSON.stringify({
            level: 'error',
            message: usageError ? 'bad arguments' : 'failed',
            reason: error.message,
            timestamp: new Date().toISOString(),
          }) + '\n',
        );
      }
      process.stderr.write(usageError ? `error: ${error.message}\n${usage}\n` : `error: ${error.message}\n`);
      process.exit(usageError ? EXIT.usage : EXIT.failed);
    },
  );
}
