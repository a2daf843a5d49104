import type winston from 'winston';

/**
 * Logs a step of the monthly job with the process's resident memory (`rss_mb`): where a monthly task's memory goes,
 * read from its logs (and collected per step by the loop's benchmark).
 */
export const stepLog =
  (logger: winston.Logger) =>
  (message: string, fields: object = {}): void => {
    logger.info({ message, ...fields, rss_mb: Math.round(process.memoryUsage().rss / 2 ** 20) });
  };
