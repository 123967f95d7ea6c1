// The layer rules of README.md's Architecture section, as import restrictions per folder: data flows
// one way, edges (scim/, sso/, api/, console/, cli/) → engine (provisioning/, billing/) → seats/ →
// mail/, webhooks/, audit/ → the storage port (db/port.ts), with domain/ as the shared vocabulary
// beneath everything. The edges share http/ (session cookies, problem JSON); every layer may use
// runtime/ (logger, worker threads, the outbox run loop), net/ and i18n/, which import only domain/.
// Nothing imports upward, and only the composition roots (server/, cli/main.ts, cli/backup.ts,
// test/, bench/, demo/, scripts/) build storage from db/'s implementation modules.
// eslint.config.js applies these; test/unit/lint/layers.test.ts checks that each rule fires.

/** An import into one of `folders` (top-level folders), from a file at any depth. */
const into = (...folders) => `^(\\.\\./)+(${folders.join('|')})/`;

const STORAGE = {
  regex: '^(\\.\\./)+db/(?!port\\.js$)',
  message:
    'Above db/, storage is reached only through the port: import db/port.ts (Store, Queries) and the records of domain/records.ts. Only composition roots (server/, cli/main.ts, test/, bench/, demo/) import db/ implementation modules.',
};

const EDGES = ['scim', 'sso', 'api', 'console', 'cli'];

const SERVER = {
  regex: '^(\\.\\./)+server/',
  message:
    'server/ is the composition root and the HTTP shell: nothing below it imports it. What the edges share of HTTP is in http/, the process machinery (logger, worker threads, run loops) in runtime/.',
};

/** One config object per layer: flat config replaces a rule's options, so each lists all of its own. */
export const layers = [
  {
    files: ['domain/**'],
    rules: {
      'no-restricted-imports': [
        'error',
        {
          patterns: [
            {
              regex: '^(\\.\\./)+(?!domain/)[^./][^/]*/',
              message: 'domain/ is the shared vocabulary: it imports nothing else of the project.',
            },
          ],
        },
      ],
    },
  },
  {
    files: ['net/**', 'i18n/**', 'runtime/**'],
    rules: {
      'no-restricted-imports': [
        'error',
        {
          patterns: [
            {
              regex: '^(\\.\\./)+(?!domain/)[^./][^/]*/',
              message: 'net/, i18n/ and runtime/ import only domain/: every other layer may use them.',
            },
          ],
        },
      ],
    },
  },
  {
    files: ['db/**'],
    rules: {
      'no-restricted-imports': [
        'error',
        {
          patterns: [
            {
              regex: into(
                'net',
                'mail',
                'webhooks',
                'audit',
                'seats',
                'billing',
                'provisioning',
                'http',
                ...EDGES,
                'server',
              ),
              message: 'db/ is the bottom layer: it imports only domain/ (and i18n/ for the language type).',
            },
          ],
        },
      ],
    },
  },
  {
    files: ['mail/**', 'webhooks/**', 'audit/**'],
    ignores: ['webhooks/endpoints.ts'],
    rules: {
      'no-restricted-imports': [
        'error',
        {
          patterns: [
            STORAGE,
            SERVER,
            {
              regex: into('seats', 'billing', 'provisioning', 'http', ...EDGES),
              message:
                'mail/, webhooks/ and audit/ sit just above db/: seats/ and the engine use them, never the other way round.',
            },
          ],
        },
      ],
    },
  },
  {
    files: ['seats/**'],
    rules: {
      'no-restricted-imports': [
        'error',
        {
          patterns: [
            STORAGE,
            SERVER,
            {
              regex: into('billing', 'provisioning', 'http', ...EDGES),
              message:
                'seats/ is below the engine: billing/ and provisioning/ use the seat pool, not the other way round.',
            },
          ],
        },
      ],
    },
  },
  {
    files: ['billing/**'],
    rules: {
      'no-restricted-imports': [
        'error',
        {
          patterns: [
            STORAGE,
            SERVER,
            {
              regex: into('provisioning', 'http', ...EDGES),
              message: 'billing/ is below provisioning/ and the edges: they call it, it never calls them.',
            },
          ],
        },
      ],
    },
  },
  {
    // The engine's use cases, wherever their folder: protocol-neutral, so no edge is imported.
    files: ['provisioning/**', 'webhooks/endpoints.ts'],
    rules: {
      'no-restricted-imports': [
        'error',
        {
          patterns: [
            STORAGE,
            SERVER,
            {
              regex: into('http', ...EDGES),
              message:
                'The engine is protocol-neutral: the edges (scim/, sso/, api/, console/, cli/) call it, never the reverse.',
            },
          ],
        },
      ],
    },
  },
  {
    // What the HTTP edges share (session cookies, problem JSON): used by them, above the engine.
    files: ['http/**'],
    rules: {
      'no-restricted-imports': [
        'error',
        {
          patterns: [
            STORAGE,
            SERVER,
            {
              regex: into(...EDGES),
              message: 'http/ serves the edges (scim/, sso/, api/, console/): it never imports one of them.',
            },
          ],
        },
      ],
    },
  },
  {
    files: ['scim/**', 'sso/**', 'api/**', 'console/**'],
    rules: {
      'no-restricted-imports': [
        'error',
        {
          patterns: [
            STORAGE,
            SERVER,
            { regex: into('cli'), message: 'cli/ is a composition root beside server/: nothing imports it.' },
          ],
        },
      ],
    },
  },
  {
    // The operator's commands are an edge; cli/main.ts (which builds the services) and cli/backup.ts
    // (which copies the database file) are composition and may reach db/.
    files: ['cli/**'],
    ignores: ['cli/main.ts', 'cli/backup.ts'],
    rules: { 'no-restricted-imports': ['error', { patterns: [STORAGE] }] },
  },
];
