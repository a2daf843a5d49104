/** One request's log line. */
export interface RequestLogEntry {
  request_id: string;
  method: string;
  route: string;
  status: number;
  latency_ms: number;
  model_version: string | null;
}

/**
 * The per-request JSON lines, off winston's path: each line is one JSON.stringify, and the lines of one
 * event-loop turn go to stdout in a single write (one syscall instead of one per request). Same fields and
 * shape as the application logs (timestamp, level, message, context). Flushed on exit.
 */
export class RequestLog {
  private lines: string[] = [];
  private scheduled = false;
  private readonly flush = () => {
    this.scheduled = false;
    if (this.lines.length === 0) return;
    const chunk = this.lines.join('\n') + '\n';
    this.lines = [];
    process.stdout.write(chunk);
  };

  constructor(readonly enabled: boolean) {
    if (enabled) process.once('exit', this.flush);
  }

  write(entry: RequestLogEntry): void {
    if (!this.enabled) return;
    this.lines.push(JSON.stringify({ context: 'http', level: 'info', message: 'request', ...entry, timestamp: new Date().toISOString() }));
    if (!this.scheduled) {
      this.scheduled = true;
      setImmediate(this.flush);
    }
  }
}

/** Request lines are info: they are written unless LOG_LEVEL asks for warnings or errors only. */
export const requestLogEnabled = (level: string) => !['error', 'warn'].includes(level);
