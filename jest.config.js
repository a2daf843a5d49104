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
  testTimeout: 120_000,
  maxWorkers: 2,
  verbose: false,
};
