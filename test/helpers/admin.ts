export const ADMIN_TOKEN = 'test-admin-token-0123456789';

/** Calls an admin route with the bearer token; answers status and JSON body. */
export async function admin(url: string, method: 'GET' | 'POST' | 'DELETE', route: string, token = ADMIN_TOKEN) {
  const response = await fetch(`${url}${route}`, {
    method,
    headers: token ? { authorization: `Bearer ${token}` } : {},
  });
  const text = await response.text();
  return { status: response.status, json: text ? JSON.parse(text) : null };
}

/** Reads one sample of a Prometheus metric from GET /metrics (0 when absent). */
export async function metricValue(url: string, name: string, labels: Record<string, string> = {}): Promise<number> {
  const text = await (await fetch(`${url}/metrics`)).text();
  const wanted = Object.entries(labels).map(([k, v]) => `${k}="${v}"`);
  for (const line of text.split('\n')) {
    if (!line.startsWith(name)) continue;
    const [series, value] = line.split(' ');
    const seriesName = series.split('{')[0];
    if (seriesName !== name) continue;
    if (wanted.every((w) => series.includes(w))) return Number(value);
  }
  return 0;
}
