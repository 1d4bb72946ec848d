/** How many microtask turns `promise` takes to settle: a count of the promise hops on its path. */
export async function ticksToSettle(promise: Promise<unknown>): Promise<number> {
  let done = false;
  promise.then(
    () => (done = true),
    () => (done = true),
  );
  let ticks = 0;
  while (!done) {
    await Promise.resolve();
    ticks++;
  }
  return ticks;
}
