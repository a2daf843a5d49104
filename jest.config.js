/** Jest runs the TypeScript suites as native ES modules (NestJS 12 ships ESM only). */
export default {
  testEnvironment: '<rootDir>/test/helpers/jest-environment.js',
  extensionsToTreatAsEsm: ['.ts'],
  transform: {
    '^.+\\.ts$': ['ts-jest', { useESM: true, tsconfig: 'tsconfig.json', diagnostics: false }],
  },
  moduleNameMapper: { '^(\\.{1,2}/.*)\\.js$': '$1' },
  // Unit specs sit beside the code they test; process-level suites live in test/.
  testMatch: ['<rootDir>/test/**/*.spec.ts', '<rootDir>/service/src/**/*.spec.ts', '<rootDir>/jobs/**/*.spec.ts'],
  // A guard against a hang, not a speed check (speed is measured in npm run bench): a shared CI machine has run the
  // process-level suites (a CLI that trains, a service that starts) three times slower than a quiet one.
  testTimeout: 300_000,
  maxWorkers: 2,
  verbose: false,
};
