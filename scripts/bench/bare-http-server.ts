import http from 'node:http';

/**
 * The HTTP ceiling: plain node:http that reads the body, parses the same JSON and answers a constant JSON.
 * Anything the service does beyond this (routing, validation, inference, logging) is its overhead. A batch body
 * ({applications: [...]}) gets one constant answer per application, so the batch route's JSON in and out has a
 * ceiling too.
 */
const answer = JSON.stringify({
  prediction_id: '00000000-0000-0000-0000-000000000000',
  probability_of_default: 0.10000000149011612,
  decision: 'approve',
  threshold: 0.2279,
  model_version: '20261126T214935Z-f0098e1',
});
const server = http.createServer((request, response) => {
  const chunks: Buffer[] = [];
  request.on('data', (chunk: Buffer) => chunks.push(chunk));
  request.on('end', () => {
    try {
      const body = JSON.parse(Buffer.concat(chunks).toString('utf8')) as { applications?: unknown[] };
      const text = Array.isArray(body.applications)
        ? `{"predictions":[${body.applications.map(() => answer).join(',')}]}`
        : answer;
      response.writeHead(200, { 'content-type': 'application/json' }).end(text);
    } catch {
      response.writeHead(400).end();
    }
  });
});
server.keepAliveTimeout = 72_000;
server.listen(0, '127.0.0.1', () => {
  process.stdout.write(
    JSON.stringify({ message: 'listening', port: (server.address() as { port: number }).port }) + '\n',
  );
});
process.on('SIGTERM', () => server.close(() => process.exit(0)));
