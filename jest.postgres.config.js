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
  // Nothing is left out: the suites that open the database a second time (to edit a row by hand, to
  // read what is stored at rest), or run the command line or a second process on it, open the
  // test's PostgreSQL database here (test/helpers/stored-rows.ts, the URL given to a second
  // container or to a process through DATABASE_URL or protocol.ts databaseConfig). What is about
  // the SQLite file itself (a write-ahead log left by a kill) is checked only when TEST_BACKEND is
  // sqlite, in the suite that proves it (test/integration/processes.test.ts). The PostgreSQL-only
  // counterparts are test/integration/postgres/ (several instances, the command line, killed
  // processes) and test/unit/db/ (the store, on both dialects).
  testPathIgnorePatterns: ['/node_modules/'],
};
