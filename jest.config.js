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
  // No forceExit: a suite that leaves a handle open keeps the run from ending, so it is found, not hidden. The one
  // handle allowed to outlive a suite briefly is ioredis's: disconnecting a client whose server is already gone (the
  // Redis-outage cases) keeps a 2 s timer (its `disconnectTimeout`) before it destroys the socket. Jest warns of open
  // handles only past this.
  openHandlesTimeout: 3000,
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
