import { type Dispatcher, Pool } from 'undici';
import type { ResolvedAgent } from './agent-options.js';
import { ConsulError, redact } from './consul-error.js';

export interface ConsulRequest {
  method: 'GET' | 'PUT' | 'DELETE';
  /** `/v1/...`, without the query. */
  path: string;
  query?: Readonly<Record<string, string | readonly string[] | true | undefined>> | undefined;
  body?: string | undefined;
  /** Blocking wait asked of Consul; the timeout becomes `wait + wait/16 + requestTimeoutMs`, as Consul adds up to wait/16 of jitter. */
  waitMs?: number | undefined;
  signal?: AbortSignal | undefined;
}

export interface ConsulResponse {
  readonly status: number;
  readonly headers: Readonly<Record<string, string | string[] | undefined>>;
  readonly text: string;
  /** `X-Consul-Index`, when the endpoint blocks; NaN when absent or not a number. */
  readonly index: number;
}

/** undici times anything longer than this on its coarse clock. */
const UNDICI_COARSE_ABOVE_MS = 1_000;
/** The coarse clock's tick: a coarse timer fires within one tick either side of its time. */
const UNDICI_TICK_MS = 500;

/**
 * The timeout to give undici so that it never fires before `ms`. A coarse timer counts from the
 * tick before it was set, so it can fire up to a tick early: a 1,263 ms blocking query was cut
 * after 998 ms, before an agent that answers at wait + wait/16 had had its time. One tick more
 * keeps the promise the error makes ("timed out after N ms"), at the cost of up to a second late.
 */
export function notBefore(ms: number): number {
  return ms > UNDICI_COARSE_ABOVE_MS ? ms + UNDICI_TICK_MS : ms;
}

/**
 * The one HTTP client to an agent: an undici Pool (blocking queries each hold a connection, so
 * the pool is not capped), unix sockets through `socketPath`, TLS from the resolved options.
 * Bodies are read up to `maxBodyBytes` and the request is aborted beyond it, so a runaway body
 * costs at most that much memory. Statuses other than 2xx reject, except those the caller
 * accepts (KV's 404).
 */
export class ConsulHttp {
  readonly agent: ResolvedAgent;
  readonly #pool: Pool;

  constructor(agent: ResolvedAgent) {
    this.agent = agent;
    this.#pool = new Pool(agent.origin, {
      ...(agent.socketPath ? { socketPath: agent.socketPath } : {}),
      ...(agent.tls ? { connect: agent.tls } : {}),
    });
  }

  async request(req: ConsulRequest, accept: readonly number[] = []): Promise<ConsulResponse> {
    const search = queryString(req.query);
    const path = search ? `${req.path}?${search}` : req.path;
    const what = `Consul ${req.method} ${req.path} at ${this.agent.display}`;
    const { requestTimeoutMs, maxBodyBytes, token } = this.agent;
    const waitMs = req.waitMs ?? 0;
    const headersTimeout = waitMs + Math.ceil(waitMs / 16) + requestTimeoutMs;
    const headers: Record<string, string> = { accept: 'application/json' };
    if (token) headers['x-consul-token'] = token;
    if (req.body !== undefined) headers['content-type'] = 'application/json';
    const controller = new AbortController();
    const onAbort = () => controller.abort(req.signal?.reason);
    req.signal?.addEventListener('abort', onAbort, { once: true });
    try {
      let res: Dispatcher.ResponseData;
      try {
        res = await this.#pool.request({
          method: req.method,
          path,
          headers,
          body: req.body ?? null,
          signal: controller.signal,
          headersTimeout: notBefore(headersTimeout),
          bodyTimeout: notBefore(requestTimeoutMs),
        });
      } catch (error) {
        throw failure(what, error, token, headersTimeout);
      }
      const text = await readCapped(
        res.body,
        maxBodyBytes,
        controller,
        what,
        token,
        requestTimeoutMs,
      );
      const index = Number(first(res.headers['x-consul-index']) ?? Number.NaN);
      if ((res.statusCode < 200 || res.statusCode > 299) && !accept.includes(res.statusCode)) {
        const detail = redact(text.trim().slice(0, 300), token);
        throw new ConsulError(
          'status',
          `${what} answered HTTP ${res.statusCode}${detail ? `: ${detail}` : ''}`,
          { status: res.statusCode },
        );
      }
      return { status: res.statusCode, headers: res.headers, text, index };
    } finally {
      req.signal?.removeEventListener('abort', onAbort);
    }
  }

  close(): Promise<void> {
    return this.#pool.destroy();
  }
}

async function readCapped(
  body: AsyncIterable<Buffer> & { destroy(error?: Error): unknown },
  max: number,
  controller: AbortController,
  what: string,
  token: string | undefined,
  timeoutMs: number,
): Promise<string> {
  const chunks: Buffer[] = [];
  let size = 0;
  try {
    for await (const chunk of body) {
      size += chunk.length;
      if (size > max) {
        const error = new ConsulError(
          'too-large',
          `${what} sent a body over the ${max}-byte limit (maxBodyBytes); it was cut off`,
        );
        controller.abort(error);
        body.destroy(error);
        throw error;
      }
      chunks.push(chunk);
    }
  } catch (error) {
    if (error instanceof ConsulError) throw error;
    throw failure(`${what} (reading the body)`, error, token, timeoutMs);
  }
  return Buffer.concat(chunks, size).toString('utf8');
}

function failure(what: string, error: unknown, token: string | undefined, timeoutMs: number) {
  const code = (error as { code?: string }).code;
  if (code === 'UND_ERR_HEADERS_TIMEOUT' || code === 'UND_ERR_BODY_TIMEOUT') {
    return new ConsulError('timeout', `${what} timed out after ${timeoutMs} ms`, { cause: error });
  }
  const message = redact(error instanceof Error ? error.message : String(error), token);
  return new ConsulError('network', `${what} failed: ${code ? `${code} ` : ''}${message}`, {
    cause: error,
  });
}

function first(value: string | string[] | undefined): string | undefined {
  return Array.isArray(value) ? value[0] : value;
}

function queryString(query: ConsulRequest['query']): string {
  if (!query) return '';
  const params = new URLSearchParams();
  for (const [name, value] of Object.entries(query)) {
    if (value === undefined) continue;
    if (value === true) params.append(name, '');
    else if (typeof value === 'string') params.append(name, value);
    else for (const v of value) params.append(name, v);
  }
  // Consul reads flags such as `passing` and `stale` by presence; `passing=` is the same as `passing`.
  return params.toString();
}
