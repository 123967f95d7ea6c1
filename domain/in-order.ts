// Asynchronous steps over a list, one after another. Inside a transaction the steps share one
// connection and must not interleave (a step may read what the one before it wrote), so they never
// run concurrently the way Promise.all over a map would start them.

/** `step` for each item in order, each after the one before it finished; their results in order. */
export async function inOrder<T, R>(
  items: Iterable<T>,
  step: (item: T, index: number) => Promise<R>,
): Promise<R[]> {
  const results: R[] = [];
  let index = 0;
  for (const item of items) results.push(await step(item, index++));
  return results;
}
