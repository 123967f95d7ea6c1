// The PostgreSQL run (`npm run test:postgres`): the storage-facing suites again, each test on a
// database of its own cloned from a migrated template (test/helpers/with-postgres.ts starts the
// cluster, test/helpers/test-database.ts hands out the databases). Everything else is as in
// jest.config.js.
import base from './jest.config.js';

/** @type {import('jest').Config} */
export default {
  ...base,
  // The engine, and every edge that reaches the database through it.
  testMatch: [
    '<rootDir>/test/unit/provisioning/**/*.test.ts',
    '<rootDir>/test/unit/seats/**/*.test.ts',
    '<rootDir>/test/unit/billing/**/*.test.ts',
    '<rootDir>/test/unit/webhooks/**/*.test.ts',
    '<rootDir>/test/integration/api/**/*.test.ts',
    '<rootDir>/test/integration/scim/**/*.test.ts',
    '<rootDir>/test/integration/scim-fuzz/**/*.test.ts',
    '<rootDir>/test/integration/sso/**/*.test.ts',
    '<rootDir>/test/integration/webhooks/**/*.test.ts',
    '<rootDir>/test/integration/jobs-after-term.test.ts',
    '<rootDir>/test/integration/processes.test.ts',
    '<rootDir>/test/integration/mail-processes.test.ts',
    '<rootDir>/test/integration/mail-languages.test.ts',
    '<rootDir>/test/integration/operations/metrics.test.ts',
  ],
  // Suites about the SQLite file itself: they open it (to edit a row by hand, to read what is
  // stored at rest), or run the command line or a second process on it. Their PostgreSQL
  // counterparts are test/integration/postgres/ (several instances, the command line, killed
  // processes), test/integration/processes.test.ts and mail-processes.test.ts (which run here too)
  // and test/unit/db/ (the store, on both dialects).
  testPathIgnorePatterns: [
    '/node_modules/',
    '/test/integration/scim/scim-processes\\.test\\.ts$',
    '/test/integration/scim/scim-shutdown\\.test\\.ts$',
    '/test/integration/sso/saml-sp-keys-api\\.test\\.ts$',
    '/test/unit/seats/usage\\.test\\.ts$',
  ],
};
