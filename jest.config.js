import { availableParallelism } from 'node:os';

// Jest for an ES-module TypeScript project: test files and the code they import are compiled by
// SWC (no type checking: npm run check does that) and loaded as ES modules, which needs
// NODE_OPTIONS=--experimental-vm-modules (npm run jest sets it).
const transformer = [
  '@swc/jest',
  {
    // keepImportAttributes: the JSON catalogues are imported `with { type: 'json' }`, as Node wants.
    jsc: {
      parser: { syntax: 'typescript' },
      target: 'es2023',
      experimental: { keepImportAttributes: true },
    },
    module: { type: 'es6' },
    sourceMaps: 'inline',
  },
];

/** @type {import('jest').Config} */
export default {
  testEnvironment: 'node',
  roots: ['<rootDir>/test'],
  testMatch: ['**/*.test.ts'],
  extensionsToTreatAsEsm: ['.ts'],
  // Sources import each other as './x.js' (NodeNext); on disk they are ./x.ts.
  moduleNameMapper: { '^(\\.{1,2}/.*)\\.js$': '$1' },
  transform: { '^.+\\.ts$': transformer },
  setupFiles: ['<rootDir>/test/helpers/jest-setup.ts'],
  // Jest's default leaves one core to itself, so on a 2-core CI machine files would run one at a
  // time; the tests wait on child processes, servers and browsers, so use every core (at least 2).
  maxWorkers: Math.max(2, availableParallelism()),
  // node:test had no default timeout; some tests run child processes for tens of seconds on a busy
  // 2-core machine. A hang still fails, after two minutes.
  testTimeout: 120_000,
  // With --coverage (npm test): V8's own counters, mapped back to the TypeScript sources.
  coverageProvider: 'v8',
  collectCoverageFrom: [
    '{api,audit,billing,cli,db,domain,http,i18n,mail,net,provisioning,runtime,scim,seats,server,sso,webhooks}/**/*.ts',
    '!**/*.d.ts',
  ],
  coverageReporters: ['text-summary', 'json-summary', 'lcov'],
  // The engine folders stay at least where the suite has them (measured, then rounded down a
  // little for run-to-run variation: the fuzz tests draw new inputs each run). Raise them with
  // the coverage; never lower them to make a run pass.
  coverageThreshold: {
    './seats/': { lines: 96, statements: 96, functions: 98, branches: 90 },
    './billing/': { lines: 96, statements: 96, functions: 98, branches: 85 },
    './provisioning/': { lines: 95, statements: 95, functions: 98, branches: 88 },
    './scim/': { lines: 97, statements: 97, functions: 97, branches: 94 },
    './sso/': { lines: 95, statements: 95, functions: 91, branches: 83 },
  },
};
