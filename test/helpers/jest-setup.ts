// Runs before each test file (jest's setupFiles). better-sqlite3's native addon is loaded once per
// process, but jest gives each test file fresh copies of the JavaScript modules in a realm of its
// own. The addon throws errors of the class registered by the first copy that opened a database,
// so in every later file `error instanceof Error` (and the store's translation of SQLite errors)
// would fail. Clearing the flag makes this file's copy register its own class on first use.
import { createRequire } from 'node:module';

const require = createRequire(import.meta.url);
const addon = require('better-sqlite3/build/Release/better_sqlite3.node') as { isInitialized?: boolean };
addon.isInitialized = false;
