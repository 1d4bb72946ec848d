/**
 * Waits until `check` passes (it throws until then), polling every 10 ms, for what a real
 * server sees a little after the client acted (a cancellation, a health report). Bounded: the
 * last failure is rethrown after `timeoutMs`.
 */
export async function eventually(check: () => void, timeoutMs = 3_000): Promise<void> {
  const until = performance.now() + timeoutMs;
  for (;;) {
    try {
      check();
      return;
    } catch (error) {
      if (performance.now() > until) throw error;
      await new Promise((resolve) => setTimeout(resolve, 10));
    }
  }
}
