/**
 * Counts the AbortControllers made while `body` runs (the cost rule: none unless someone reads
 * a signal). `created()` reads the count so far; the global is restored afterwards.
 */
export async function countingAbortControllers<T>(
  body: (created: () => number) => T | Promise<T>,
): Promise<T> {
  const Real = globalThis.AbortController;
  let created = 0;
  globalThis.AbortController = class extends Real {
    constructor() {
      super();
      created++;
    }
  };
  try {
    return await body(() => created);
  } finally {
    globalThis.AbortController = Real;
  }
}
