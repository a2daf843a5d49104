import net from 'node:net';

export type EndpointMode = 'pass' | 'hang' | 'refuse';

export interface FaultyEndpoint {
  url: string;
  /** pass: forward to the target; hang: accept, read and never answer (a frozen server); refuse: reset at once. */
  mode: EndpointMode;
  close(): Promise<void>;
}

/**
 * A loopback TCP endpoint in front of a real server (or of nothing) whose behaviour a test switches: it stands
 * in for a frozen or black-holed S3 endpoint, which a stopped server cannot (a stopped port refuses at once).
 * A mode applies at once, to open (kept-alive) connections too; hung connections stay hung until close().
 */
export async function startFaultyEndpoint(
  target: { port: number } | null,
  mode: EndpointMode = target ? 'pass' : 'hang',
): Promise<FaultyEndpoint> {
  const sockets = new Set<net.Socket>();
  const endpoint = { mode } as FaultyEndpoint;
  const server = net.createServer((client) => {
    sockets.add(client);
    client.on('close', () => sockets.delete(client));
    client.on('error', () => undefined);
    if (endpoint.mode === 'refuse') return void client.resetAndDestroy();
    if (endpoint.mode === 'hang' || !target) return void client.on('data', () => undefined);
    const upstream = net.connect(target.port, '127.0.0.1');
    sockets.add(upstream);
    upstream.on('close', () => {
      sockets.delete(upstream);
      client.destroy();
    });
    upstream.on('error', () => client.destroy());
    client.on('close', () => upstream.destroy());
    // Forwarded by hand, not piped, so that a kept-alive connection also obeys a later mode.
    client.on('data', (chunk) => {
      if (endpoint.mode === 'pass') upstream.write(chunk);
      else if (endpoint.mode === 'refuse') client.resetAndDestroy();
    });
    upstream.on('data', (chunk) => {
      if (endpoint.mode === 'pass') client.write(chunk);
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  endpoint.url = `http://127.0.0.1:${(server.address() as net.AddressInfo).port}`;
  endpoint.close = () =>
    new Promise((resolve) => {
      for (const socket of sockets) socket.destroy();
      server.close(() => resolve());
    });
  return endpoint;
}
