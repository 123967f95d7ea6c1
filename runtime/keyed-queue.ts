// One piece of asynchronous work at a time per key, within this process.

/**
 * Returns a runner that starts `work` after every earlier work of the same key has settled (a queue
 * per key, gone once empty). Work of different keys runs as it comes.
 */
export function keyedQueue() {
  const tails = new Map<string, Promise<unknown>>();
  return async function oneAtATime<T>(key: string, work: () => Promise<T>): Promise<T> {
    const run = (tails.get(key) ?? Promise.resolve()).then(work, work);
    const tail = run.catch(() => undefined);
    tails.set(key, tail);
    try {
      return await run;
    } finally {
      if (tails.get(key) === tail) tails.delete(key);
    }
  };
}
