import { mkdir } from 'node:fs/promises';
import path from 'node:path';
import { chromium, Browser } from 'playwright-core';
import { ROOT } from '../helpers/paths.js';
import { RunningService, startService } from '../helpers/service-process.js';

/*
 * A person's path through Swagger UI in Debian's headless Chromium: open /docs, expand POST /predict,
 * "Try it out", "Execute" the example, and see a 200 with probability_of_default. A screenshot is kept.
 */
const CHROMIUM = process.env.CHROMIUM_PATH ?? '/usr/bin/chromium';
let service: RunningService;
let browser: Browser;

beforeAll(async () => {
  service = await startService({});
  browser = await chromium.launch({
    executablePath: CHROMIUM,
    args: [
      '--headless',
      '--no-sandbox',
      '--disable-gpu',
      '--disable-quic',
      '--no-first-run',
      '--disable-background-networking',
      '--disable-component-update',
      '--disable-sync',
    ],
  });
});

afterAll(async () => {
  await browser?.close();
  await service?.stop();
});

it('executes the example of POST /predict from Swagger UI and shows a 200 with probability_of_default', async () => {
  const page = await browser.newPage({ viewport: { width: 1280, height: 2000 } });
  const problems: string[] = [];
  page.on('pageerror', (error) => problems.push(error.message));
  page.on('console', (message) => {
    if (message.type() === 'error') problems.push(message.text());
  });
  await page.goto(`${service.url}/docs`);
  const operation = page.locator('#operations-predict-PredictController_predict');
  await operation.locator('.opblock-summary').click();
  await operation.getByRole('button', { name: 'Try it out' }).click();
  await operation.getByRole('button', { name: 'Execute' }).click();
  const responseBody = operation
    .locator('.responses-wrapper .live-responses-table .response-col_description pre')
    .first();
  await responseBody.waitFor({ timeout: 15_000 });
  const text = await responseBody.innerText();
  const status = await operation
    .locator('.responses-wrapper .live-responses-table .response .response-col_status')
    .first()
    .innerText();
  const shots = path.join(ROOT, 'test/browser/screenshots');
  await mkdir(shots, { recursive: true });
  await page.screenshot({ path: path.join(shots, 'swagger-predict.png'), fullPage: false });
  expect(status.trim()).toBe('200');
  const answer = JSON.parse(text);
  expect(answer.probability_of_default).toBeGreaterThan(0);
  expect(answer.probability_of_default).toBeLessThan(1);
  expect(['approve', 'decline']).toContain(answer.decision);
  expect(problems.filter((p) => !/favicon/.test(p))).toEqual([]);
});
