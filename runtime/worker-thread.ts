// Starts a worker thread whose module sits beside the caller's, for the pools that move heavy work
// off the event loop (SAML verification, SCIM lists, SCIM PATCHes).
import { extname } from 'node:path';
import { fileURLToPath } from 'node:url';
import { Worker, type WorkerOptions } from 'node:worker_threads';

/**
 * A worker running `./<name>` next to the module at `callerUrl` (pass `import.meta.url`), with the
 * caller's extension. Compiled, that is plain JavaScript. From the TypeScript sources (tests, the
 * benchmarks, `npm run dev`) the worker needs the TypeScript loader this thread was started with,
 * and Node 20 does not pass --import loaders on to worker threads: the worker registers it itself
 * before loading the module.
 */
export function startWorker(callerUrl: string, name: string, options: WorkerOptions): Worker {
  const extension = extname(fileURLToPath(callerUrl));
  const entry = new URL(`./${name}${extension}`, callerUrl);
  if (extension !== '.ts') return new Worker(entry, options);
  return new Worker(
    `import('tsx/esm/api').then((tsx) => { tsx.register(); return import(${JSON.stringify(entry.href)}); });`,
    { ...options, eval: true },
  );
}
