import http from 'node:http';
import { VALID_APPLICATION } from '../helpers/applications.js';
import { hostileBatchBodies, hostilePredictBodies, HostileBody } from '../helpers/hostile-bodies.js';
import { postJson, RunningService, startService } from '../helpers/service-process.js';

/*
 * A corpus of hostile bodies against the real service: every answer is a 4xx whose message names the field or
 * the problem, the process stays up, and a valid request afterwards still gets 200.
 */
let service: RunningService;
beforeAll(async () => {
  service = await startService({});
});
afterAll(async () => {
  await service.stop();
});

/**
 * Sends raw bytes with node:http and resolves on the answer, even when the server answers early (413) and
 * closes while the body is still being written.
 */
function send(route: string, hostile: HostileBody): Promise<{ status: number; json: any; text: string }> {
  return new Promise((resolve, reject) => {
    const body = Buffer.isBuffer(hostile.body) ? hostile.body : Buffer.from(hostile.body);
    const req = http.request(`${service.url}${route}`, {
      method: 'POST',
      headers: { 'content-type': hostile.contentType ?? 'application/json', 'content-length': body.length },
    });
    let answered = false;
    req.on('response', (response) => {
      answered = true;
      const chunks: Buffer[] = [];
      response.on('data', (c: Buffer) => chunks.push(c));
      const done = () => {
        resolve(parse(response.statusCode!, Buffer.concat(chunks).toString('utf8')));
        req.destroy();
      };
      response.on('end', done);
      response.on('aborted', done);
    });
    req.on('error', (error) => {
      if (!answered) setTimeout(() => (answered ? undefined : reject(error)), 200);
    });
    if (body.length > 3 * 1024 * 1024) {
      // The server judges Content-Length before reading: send the start and wait for its answer, as a
      // client streaming a huge upload would, instead of racing the server's close with the rest.
      req.write(body.subarray(0, 64 * 1024));
    } else {
      req.end(body);
    }
  });
}

function parse(status: number, text: string) {
  let json: any = null;
  try {
    json = JSON.parse(text);
  } catch {
    /* asserted below */
  }
  return { status, json, text };
}

const predictCorpus = hostilePredictBodies();
const batchCorpus = hostileBatchBodies();

it('has at least 200 hostile bodies', () => {
  expect(predictCorpus.length + batchCorpus.length).toBeGreaterThanOrEqual(200);
});

describe.each([
  ['/predict', predictCorpus],
  ['/predict/batch', batchCorpus],
])('%s', (route, corpus) => {
  it.each(corpus.map((h) => [h.name, h] as const))('answers %s with a 4xx that says why', async (_name, hostile) => {
    const { status, json, text } = await send(route, hostile);
    expect({ status, text: text.slice(0, 300) }).toEqual({ status: expect.any(Number), text: expect.any(String) });
    expect(status).toBeGreaterThanOrEqual(400);
    expect(status).toBeLessThan(500);
    expect(Array.isArray(json?.message)).toBe(true);
    expect(json.message.join(' ').length).toBeGreaterThan(5);
    expect(json.request_id).toBeTruthy();
    expect(text).not.toMatch(/at .*\.js:\d+/); // no stack traces
    const field = /^(?:missing )?([a-z_]+)(?: = |$)/.exec(hostile.name)?.[1];
    // A body that is JSON names the offending field; one that is not says it is not valid JSON.
    let isJson = true;
    try {
      JSON.parse(hostile.body.toString());
    } catch {
      isJson = false;
    }
    if (field && field in VALID_APPLICATION && isJson) expect(json.message.join(' ')).toContain(field);
    if (!isJson && !hostile.contentType && hostile.body.length > 0 && hostile.body.length < 1_000_000) {
      expect(json.message.join(' ')).toMatch(/JSON|body/i);
    }
  });
});

it('stays up and still answers a valid request with 200', async () => {
  expect(service.child.exitCode).toBeNull();
  const answer = await postJson(`${service.url}/predict`, VALID_APPLICATION);
  expect(answer.status).toBe(200);
  expect(service.logs.filter((l) => l.status === 500 || l.message === 'unhandled error')).toEqual([]);
});

it('answers 413 to a body over the limit and 415 to other content types', async () => {
  const big = predictCorpus.find((h) => h.name === 'a 5 MB body')!;
  expect((await send('/predict', big)).status).toBe(413);
  const plain = predictCorpus.find((h) => h.name === 'content-type text/plain')!;
  expect((await send('/predict', plain)).status).toBe(415);
});
