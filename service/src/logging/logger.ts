import { WinstonModule } from 'nest-winston';
import winston from 'winston';

/** JSON lines on stdout: one object per event with timestamp, level, message and context fields. */
export function createJsonLogger(level: string) {
  return WinstonModule.createLogger({
    level,
    format: winston.format.combine(winston.format.timestamp(), winston.format.errors({ stack: false }), winston.format.json()),
    transports: [new winston.transports.Console()],
  });
}
