import { WinstonModule } from 'nest-winston';
import winston from 'winston';

/** JSON lines on stdout: one object per event with timestamp, level, message and context fields. */
export function createJsonLineLogger(level = 'info'): winston.Logger {
  return winston.createLogger({
    level,
    format: winston.format.combine(
      winston.format.timestamp(),
      winston.format.errors({ stack: false }),
      winston.format.json(),
    ),
    transports: [new winston.transports.Console()],
  });
}

/** The same lines as Nest's application logger. */
export function createJsonLogger(level: string) {
  return WinstonModule.createLogger({ instance: createJsonLineLogger(level) });
}
