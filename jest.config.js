/**
 * Unit specs live next to the code; e2e suites in test/ run against a real Redis and a real database.
 * NestJS 12 ships as ES modules only, so Jest runs in its ESM mode (npm test sets --experimental-vm-modules)
 * and ts-jest emits ESM from tsconfig.spec.json; the build itself stays CommonJS (tsconfig.build.json).
 */
const common = {
  testEnvironment: 'node',
  extensionsToTreatAsEsm: ['.ts'],
  transform: { '^.+\\.ts$': ['ts-jest', { useESM: true, tsconfig: 'tsconfig.spec.json' }] },
};

module.exports = {
  // Jest reads testTimeout only at the top level, not per project.
  testTimeout: 60_000,
  // A Redis client left reconnecting to a suite's private redis-server after that suite ended keeps Jest from
  // exiting (it runs the suites in band on 2 cores); until it is found, the run must still end when the tests do.
  forceExit: true,
  globalSetup: '<rootDir>/test/support/global-setup.ts',
  globalTeardown: '<rootDir>/test/support/global-teardown.ts',
  projects: [
    { ...common, displayName: 'unit', testMatch: ['<rootDir>/src/**/*.spec.ts'] },
    { ...common, displayName: 'e2e', testMatch: ['<rootDir>/test/**/*.e2e-spec.ts'] },
    {
      ...common,
      displayName: 'zabbix',
      testMatch: ['<rootDir>/test/zabbix/**/*.contract-spec.ts'],
    },
    {
      // Reliability and security chaos suite (npm run test:chaos): kills workers and Redis, fuzzes every route.
      ...common,
      displayName: 'chaos',
      testMatch: ['<rootDir>/test/chaos/**/*.chaos-spec.ts'],
    },
  ],
};
