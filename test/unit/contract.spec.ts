import { contractAsJson } from '../../service/src/contract/loan-application.contract.js';
import { lastJsonLine, runTraining } from '../../scripts/lib/python.js';

it('states the same data contract in TypeScript and in Python', async () => {
  const python = lastJsonLine(await runTraining(['contract']));
  expect(contractAsJson()).toEqual(python);
});
