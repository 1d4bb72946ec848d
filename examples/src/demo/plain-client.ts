import { setTimeout as sleep } from 'node:timers/promises';
import { Pool } from 'undici';

/** What a call ended with: a status, or the code of the error that ended it. */
export type CallResult = { readonly status: number } | { readonly error: string };

export interface PlainClient {
  call(path: string, headers: Record<string, string>): Promise<CallResult>;
  close(): Promise<void>;
}

/** Backoff before retry 1, 2 and 3: doubling, no jitter, as in many hand-written loops. */
export const PLAIN_BACKOFF_MS = [50, 100, 200] as const;

/**
 * The client many services start with: undici pools, round robin, a deadline per call, and
 * three retries with exponential backoff on any error or 5xx, each to the next instance. No
 * budget, no breaker, no idea which instance is slow or dead.
 */
export function createPlainClient(addresses: readonly string[], timeoutMs: number): PlainClient {
  const pools = addresses.map((a) => new Pool(`http://${a}`, { connections: 64 }));
  let next = 0;

  const attempt = async (path: string, headers: Record<string, string>, signal: AbortSignal) => {
    const pool = pools[next++ % pools.length]!;
    const res = await pool.request({ path, method: 'GET', headers, signal });
    await res.body.dump();
    return res.statusCode;
  };

  return {
    async call(path, headers) {
      const controller = new AbortController();
      const timer = setTimeout(() => controller.abort(), timeoutMs);
      let last: CallResult = { error: 'no attempt' };
      try {
        for (let retry = 0; retry <= PLAIN_BACKOFF_MS.length; retry++) {
          if (retry > 0)
            await sleep(PLAIN_BACKOFF_MS[retry - 1]!, undefined, { signal: controller.signal });
          try {
            const status = await attempt(path, headers, controller.signal);
            last = { status };
            if (status < 500) return last;
          } catch (error) {
            if (controller.signal.aborted) throw error;
            last = { error: errorCode(error) };
          }
        }
        return last;
      } catch {
        return controller.signal.aborted ? { error: 'TIMEOUT' } : last;
      } finally {
        clearTimeout(timer);
      }
    },
    close: async () => void (await Promise.all(pools.map((p) => p.destroy()))),
  };
}

export function errorCode(error: unknown): string {
  const e = error as { code?: unknown; cause?: { code?: unknown } } | null;
  const code = e?.code ?? e?.cause?.code;
  return typeof code === 'string' ? code : 'ERROR';
}
