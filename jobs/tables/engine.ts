import { DuckDBConnection, DuckDBInstance } from '@duckdb/node-api';
import { mkdir, mkdtemp, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';

/**
 * The data jobs' embedded analytical engine: DuckDB in-process, with a memory limit and a spill directory, so
 * that a join larger than memory goes to disk instead of killing the job. Its database file and spill live in
 * the job's work directory and go with it.
 */
export interface Engine {
  readonly connection: DuckDBConnection;
  /** Where the job may write local files (downloads, staged rows, parts before upload). */
  readonly workDir: string;
  /** Another connection to the same database (a streamed result holds its connection until read). */
  connect(): Promise<DuckDBConnection>;
  close(): void;
}

export interface EngineOptions {
  workDir: string;
  /** DuckDB's own memory limit; the job's Node heap and Python come on top. */
  memoryLimitMb?: number;
  threads?: number;
  /** Keep rows in the order read (a job that numbers rows by their place in a file needs it). */
  preserveOrder?: boolean;
}

export const DEFAULT_ENGINE_MEMORY_MB = 512;

export async function openEngine({
  workDir,
  memoryLimitMb = DEFAULT_ENGINE_MEMORY_MB,
  threads = 2,
  preserveOrder = false,
}: EngineOptions): Promise<Engine> {
  await mkdir(path.join(workDir, 'spill'), { recursive: true });
  const instance = await DuckDBInstance.create(path.join(workDir, 'engine.duckdb'), {
    memory_limit: `${memoryLimitMb}MB`,
    temp_directory: path.join(workDir, 'spill'),
    threads: String(threads),
    // Row order within a part does not matter to most readers; keeping it costs memory.
    preserve_insertion_order: String(preserveOrder),
  });
  const connection = await instance.connect();
  const others: DuckDBConnection[] = [];
  return {
    connection,
    workDir,
    connect: async () => {
      const other = await instance.connect();
      others.push(other);
      return other;
    },
    close: () => {
      for (const other of others) other.closeSync();
      connection.closeSync();
      instance.closeSync();
    },
  };
}

/** Runs `work` with an engine in a fresh temporary directory, and removes both after it, whatever happens. */
export async function withEngine<T>(
  name: string,
  work: (engine: Engine) => Promise<T>,
  options: Omit<EngineOptions, 'workDir'> = {},
): Promise<T> {
  const workDir = await mkdtemp(path.join(os.tmpdir(), `${name}-`));
  const engine = await openEngine({ ...options, workDir });
  try {
    return await work(engine);
  } finally {
    engine.close();
    await rm(workDir, { recursive: true, force: true });
  }
}

/** A string as a SQL literal. */
export const sqlString = (value: string) => `'${value.replace(/'/g, "''")}'`;

/**
 * A table function over Parquet files, read as written: the folders' `month=` names are not columns (the parts
 * carry their own), so a part reads the same wherever it lies; columns are matched by name, so a part written
 * before a column was added reads it as null.
 */
export const readParquet = (paths: string[]) =>
  `read_parquet([${paths.map(sqlString).join(', ')}], hive_partitioning = false, union_by_name = true)`;
