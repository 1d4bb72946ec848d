import type { Readable } from 'node:stream';
import type { CallContext, RequestInfo, TimeoutKind } from '@outrigger/core';

/** What undici can send as a body. */
export type WireBody = string | Buffer | Uint8Array | Readable | AsyncIterable<Uint8Array> | null;

/** The headers of a request that has none: shared, so never written (frozen to make sure). */
export const NO_HEADERS: readonly string[] = Object.freeze([]);

/** Methods safe to send twice (RFC 9110 §9.2.2). */
const IDEMPOTENT_METHODS = new Set(['GET', 'HEAD', 'OPTIONS', 'PUT', 'DELETE', 'TRACE']);

export function isIdempotentMethod(method: string): boolean {
  // GET first: most calls are, and a comparison with the interned literal beats a hash lookup.
  return method === 'GET' || IDEMPOTENT_METHODS.has(method);
}

/**
 * One logical outbound request, as the chain carries it. It is its own `RequestInfo` (what
 * routing reads), so the facade puts it in the context without another allocation. Headers
 * are kept flat (`[name, value, name, value]`), the form undici takes without copying.
 */
export class OutboundRequest implements RequestInfo {
  readonly method: string;
  /** Path and query, as sent. */
  readonly target: string;
  readonly headers: readonly string[];
  readonly body: WireBody;
  /** False for a streamed body that was longer than `maxReplayBytes`. */
  readonly replayable: boolean;
  /** Seen by routing only, never sent. */
  readonly routeHeaders: Readonly<Record<string, string>> | undefined;
  /** A streamed body can go out once; set by the transport when an attempt takes it. */
  bodyTaken = false;
  /** Each attempt's body goes into a sink from its head on (`request()`; see `BodySinks`). */
  bodyAtHead = false;
  /**
   * The call's total deadline (absolute, on the call's clock), set when the call starts: it
   * bounds the winning attempt's body, which the chain's timers no longer watch (decision 0043).
   * `Infinity` when no total deadline applies, or when `deadlineOfAttempt`.
   */
  deadline = Number.POSITIVE_INFINITY;
  /**
   * The total deadline is the one each attempt carries (no per-try timeout shortens it): read
   * from the winning attempt's context, which saves a clock reading per call.
   */
  deadlineOfAttempt = false;
  /** The deadline's length and kind, for the TIMEOUT error its expiry raises. */
  deadlineMs = 0;
  deadlineKind: TimeoutKind = 'total';

  constructor(
    method: string,
    target: string,
    headers: readonly string[],
    body: WireBody,
    replayable: boolean,
    routeHeaders?: Readonly<Record<string, string>>,
  ) {
    this.method = method;
    this.target = target;
    this.headers = headers;
    this.body = body;
    this.replayable = replayable;
    this.routeHeaders = routeHeaders;
  }

  /**
   * Records the total deadline the chain's total-deadline policy will set for this call:
   * `totalMs` from now, or the caller's or inbound deadline if that is earlier. `perTry`: a
   * per-try timeout may shorten the attempts' deadlines, so the total one is kept here.
   */
  holdTo(ctx: CallContext, totalMs: number, perTry: boolean): void {
    this.deadlineMs = totalMs;
    if (!perTry && ctx.deadline === Number.POSITIVE_INFINITY) {
      this.deadlineOfAttempt = true;
      return;
    }
    const now = ctx.clock.now();
    const own = now + totalMs;
    if (own < ctx.deadline) {
      this.deadline = own;
    } else {
      this.deadline = ctx.deadline;
      this.deadlineMs = Math.max(0, Math.round(ctx.deadline - now));
      this.deadlineKind = 'inbound';
    }
  }

  /**
   * The client's own deadline timers watch this call (`holdTo` recorded its deadline, so its
   * timeout policy is on): the total-deadline policy bounds each attempt up to its head, and the
   * attempt holds its body to the total deadline, read or discarded. undici's timers are off.
   */
  get timed(): boolean {
    return this.deadlineOfAttempt || this.deadline !== Number.POSITIVE_INFINITY;
  }

  /** The deadline the winning attempt's body is held to (`Infinity`: none). */
  bodyDeadline(attempt: CallContext): number {
    return this.deadlineOfAttempt ? attempt.deadline : this.deadline;
  }

  /** URL path without the query (what routes match on). */
  get path(): string {
    const q = this.target.indexOf('?');
    return q < 0 ? this.target : this.target.slice(0, q);
  }

  /** A header by name, any case; repeated headers joined with `, `. Route headers first. */
  header(name: string): string | undefined {
    // Asked on every call (the balancer's override header), mostly of a request without headers:
    // answered before lower-casing the name, a call into V8's Intl builtin that showed in perf.
    if (this.headers.length === 0 && this.routeHeaders === undefined) return undefined;
    const lower = name.toLowerCase();
    const routed = this.routeHeaders?.[lower];
    if (routed !== undefined) return routed;
    return headerValue(this.headers, lower);
  }

  get streamed(): boolean {
    const b = this.body;
    return b !== null && typeof b === 'object' && !(b instanceof Uint8Array);
  }
}

export function headerValue(flat: readonly string[], lower: string): string | undefined {
  let found: string | undefined;
  for (let i = 0; i < flat.length; i += 2) {
    if (flat[i]!.toLowerCase() === lower) {
      found = found === undefined ? flat[i + 1]! : `${found}, ${flat[i + 1]!}`;
    }
  }
  return found;
}

/** Anything a caller may pass as headers: a record, `Headers`, pairs or a flat array. */
export type HeadersLike =
  | Readonly<Record<string, string | readonly string[] | number | undefined>>
  | Iterable<readonly [string, string]>
  | readonly string[]
  | { forEach(cb: (value: string, name: string) => void): void };

/** Flattens headers into `[name, value, ...]`; a fresh array the caller may append to. */
export function flattenHeaders(headers: HeadersLike | null | undefined): string[] {
  const flat: string[] = [];
  if (headers === null || headers === undefined) return flat;
  if (Array.isArray(headers)) {
    if (headers.length > 0 && typeof headers[0] === 'string') {
      for (const item of headers as readonly string[]) flat.push(String(item));
    } else {
      for (const [name, value] of headers as Iterable<readonly [string, string]>) {
        flat.push(name, String(value));
      }
    }
    return flat;
  }
  if (typeof (headers as { forEach?: unknown }).forEach === 'function') {
    // `Headers` (any implementation): forEach gives name and value, set-cookie kept apart.
    (headers as { forEach(cb: (value: string, name: string) => void): void }).forEach(
      (value, name) => {
        flat.push(name, value);
      },
    );
    return flat;
  }
  if (typeof (headers as Iterable<unknown>)[Symbol.iterator] === 'function') {
    for (const [name, value] of headers as Iterable<readonly [string, string]>) {
      flat.push(name, String(value));
    }
    return flat;
  }
  const record = headers as Record<string, string | readonly string[] | number | undefined>;
  for (const name in record) {
    const value = record[name];
    if (value === undefined) continue;
    if (Array.isArray(value)) for (const v of value) flat.push(name, String(v));
    else flat.push(name, String(value));
  }
  return flat;
}
