import http from 'node:http';

/**
 * The HTTP ceiling: plain node:http that reads the body, parses the same JSON and answers a constant JSON.
 * Anything the service does beyond this (routing, validation, inference, logging) is its overhead.
 */
const answer = JSON.stringify({ prediction_id: '00000000-0000-0000-0000-000000000000', probability_of_default: 0.1, decision: 'approve' });
const server = http.createServer((request, response) => {
  const chunks: Buffer[] = [];
  request.on('data', (chunk: Buffer) => chunks.push(chunk));
  request.on('end', () => {
    try {
      JSON.parse(Buffer.concat(chunks).toString('utf8'));
      response.writeHead(200, { 'content-type': 'application/json' }).end(answer);
    } catch {
      response.writeHead(400).end();
    }
  });
});
server.keepAliveTimeout = 72_000;
server.listen(0, '127.0.0.1', () => {
  process.stdout.write(JSON.stringify({ message: 'listening', port: (server.address() as { port: number }).port }) + '\n');
});
process.on('SIGTERM', () => server.close(() => process.exit(0)));
