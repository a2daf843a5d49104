import { Agent, request } from 'undici';

export interface Sample {
  status: number;
  body: any;
  startedAt: number;
  latencyMs: number;
}

export interface LoadHandle {
  samples: Sample[];
  stop(): Promise<Sample[]>;
}

/**
 * A bounded closed-loop load on loopback: `concurrency` workers each send one request, wait for the answer,
 * (wait `pauseMs`,) and send the next, until stop() or `maxRequests` (a hard bound so a test can never run away).
 */
export function startLoad(
  url: string,
  body: () => unknown,
  { concurrency = 8, maxRequests = 200_000, pauseMs = 0, headers = {} as Record<string, string> } = {},
): LoadHandle {
  const dispatcher = new Agent({ connections: concurrency, pipelining: 1 });
  const samples: Sample[] = [];
  let running = true;
  let sent = 0;
  const worker = async () => {
    while (running && sent < maxRequests) {
      sent++;
      const startedAt = performance.now();
      try {
        const answer = await request(url, {
          method: 'POST',
          dispatcher,
          headers: { 'content-type': 'application/json', ...headers },
          body: JSON.stringify(body()),
        });
        const text = await answer.body.text();
        samples.push({
          status: answer.statusCode,
          body: text ? JSON.parse(text) : null,
          startedAt,
          latencyMs: performance.now() - startedAt,
        });
      } catch (error) {
        samples.push({
          status: 0,
          body: { error: (error as Error).message },
          startedAt,
          latencyMs: performance.now() - startedAt,
        });
      }
      if (pauseMs > 0) await sleep(pauseMs);
    }
  };
  const workers = Array.from({ length: concurrency }, worker);
  return {
    samples,
    stop: async () => {
      running = false;
      await Promise.all(workers);
      await dispatcher.close();
      return samples;
    },
  };
}

export function percentile(values: number[], p: number): number {
  if (values.length === 0) return NaN;
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.min(sorted.length - 1, Math.ceil((p / 100) * sorted.length) - 1)];
}

export const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
