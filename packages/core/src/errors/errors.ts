/**
 * Every refusal Outrigger makes is an `OutriggerError` with a stable string `code`. (Longer than
 * most files here on purpose: one class per code, so the codes, their fields and their messages
 * are read and reviewed side by side.)
 *
 * `instanceof` is answered by a `Symbol.for` brand rather than by prototype identity, so an
 * error thrown by one copy of `@outrigger/core` (a nested node_modules, a bundled copy) is
 * still recognised by code that imported another copy.
 */

const BRAND: unique symbol = Symbol.for('outrigger.error') as never;
/** Marks the base class itself (in whichever copy), as an own static property. */
const BASE = Symbol.for('outrigger.error.base');

export type ErrorCode =
  | 'TIMEOUT'
  | 'CANCELLED'
  | 'CIRCUIT_OPEN'
  | 'BULKHEAD_FULL'
  | 'RATE_LIMITED'
  | 'NO_ENDPOINTS'
  | 'CONFIG_INVALID'
  | 'BUDGET_EXHAUSTED'
  | 'FAULT_INJECTED'
  | 'CLIENT_CLOSED'
  | 'REQUEST_INVALID'
  | 'UNAVAILABLE';

interface Branded {
  readonly [BRAND]: true;
  readonly code: string;
}

function isBranded(value: unknown): value is Branded {
  return typeof value === 'object' && value !== null && (value as Branded)[BRAND] === true;
}

export class OutriggerError extends Error {
  /** The code every subclass carries; undefined on the base class. */
  static readonly brandCode: ErrorCode | undefined = undefined;
  declare readonly [BRAND]: true;
  readonly code: ErrorCode;

  constructor(code: ErrorCode, message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.code = code;
    Object.defineProperty(this, BRAND, { value: true });
    this.name = new.target.name;
  }

  static [BASE] = true;

  /**
   * Branded errors: the base class of any copy matches them all; a built-in subclass matches
   * its code. Anything else (a user's own subclass, a plain error) gets ordinary instanceof.
   */
  static override [Symbol.hasInstance](this: { brandCode: ErrorCode | undefined }, value: unknown) {
    if (isBranded(value)) {
      if (Object.hasOwn(this, BASE)) return true;
      if (Object.hasOwn(this, 'brandCode')) return value.code === this.brandCode;
    }
    return Function.prototype[Symbol.hasInstance].call(this, value);
  }
}

export type TimeoutKind = 'total' | 'per-try' | 'inbound' | 'queue';

export class TimeoutError extends OutriggerError {
  static override readonly brandCode = 'TIMEOUT';
  readonly timeoutMs: number;
  readonly kind: TimeoutKind;
  constructor(details: { service: string; timeoutMs: number; kind: TimeoutKind }, cause?: unknown) {
    const advice =
      details.kind === 'per-try'
        ? 'raise timeout.perTryMs (PER_TRY_TIMEOUT_MS) if single attempts are legitimately this slow'
        : details.kind === 'inbound'
          ? 'the deadline was set upstream (by the caller or the inbound request), so raise it there'
          : details.kind === 'queue'
            ? 'raise bulkhead.maxConcurrent or the queue timeout, or shed load upstream'
            : 'raise timeout.totalMs (TIMEOUT_MS) if the downstream is legitimately this slow';
    super(
      'TIMEOUT',
      `${details.service}: ${details.kind} deadline of ${details.timeoutMs} ms expired; ${advice}`,
      { cause },
    );
    this.timeoutMs = details.timeoutMs;
    this.kind = details.kind;
  }
}

export class CancelledError extends OutriggerError {
  static override readonly brandCode = 'CANCELLED';
  constructor(service: string, cause?: unknown) {
    super('CANCELLED', `${service}: the caller aborted the call (its AbortSignal fired)`, {
      cause,
    });
  }
}

export class CircuitOpenError extends OutriggerError {
  static override readonly brandCode = 'CIRCUIT_OPEN';
  readonly retryInMs: number | undefined;
  constructor(details: { service: string; retryInMs?: number | undefined }, cause?: unknown) {
    const when =
      details.retryInMs === undefined
        ? ''
        : `; a trial call will be let through in ~${Math.ceil(details.retryInMs)} ms`;
    super(
      'CIRCUIT_OPEN',
      `${details.service}: circuit open after too many failures, call not attempted${when}. ` +
        'Tune breaker.errorThresholdPercent / BREAKER_ERROR_THRESHOLD_PERCENT if it opens too eagerly',
      { cause },
    );
    this.retryInMs = details.retryInMs;
  }
}

export class BulkheadFullError extends OutriggerError {
  static override readonly brandCode = 'BULKHEAD_FULL';
  constructor(details: { service: string; maxConcurrent: number; maxQueue: number }) {
    super(
      'BULKHEAD_FULL',
      `${details.service}: ${details.maxConcurrent} calls in flight and ${details.maxQueue} queued, ` +
        'call rejected; raise bulkhead.maxConcurrent / maxQueue (BULKHEAD_MAX_CONCURRENT, BULKHEAD_MAX_QUEUE) or shed load upstream',
    );
  }
}

export class RateLimitedError extends OutriggerError {
  static override readonly brandCode = 'RATE_LIMITED';
  readonly retryInMs: number;
  constructor(details: { service: string; perSecond: number; retryInMs: number }) {
    super(
      'RATE_LIMITED',
      `${details.service}: rate limit of ${details.perSecond}/s reached and the next token ` +
        `(in ${Math.ceil(details.retryInMs)} ms) comes after the deadline; raise rateLimit.perSecond (RATE_LIMIT_PER_SECOND)`,
    );
    this.retryInMs = details.retryInMs;
  }
}

export class NoEndpointsError extends OutriggerError {
  static override readonly brandCode = 'NO_ENDPOINTS';
  constructor(details: { service: string; reason: string }, cause?: unknown) {
    super(
      'NO_ENDPOINTS',
      `${details.service}: no endpoint available (${details.reason}); check the discovery source ` +
        `or set OUTRIGGER_<SERVICE>_ENDPOINTS`,
      { cause },
    );
  }
}

export class ConfigInvalidError extends OutriggerError {
  static override readonly brandCode = 'CONFIG_INVALID';
  /** The environment variable or code option path that was wrong. */
  readonly setting: string;
  readonly value: unknown;
  readonly expected: string;
  /**
   * `message` replaces the usual `<setting>=<value> is not valid: expected ...` when that form
   * would mislead: an unknown option has no valid value, only a valid name.
   */
  constructor(details: {
    setting: string;
    value: unknown;
    expected: string;
    hint?: string;
    message?: string;
  }) {
    super(
      'CONFIG_INVALID',
      details.message ??
        `${details.setting}=${shownValue(details.value)} is not valid: expected ${details.expected}` +
          (details.hint ? `. ${details.hint}` : ''),
    );
    this.setting = details.setting;
    this.value = details.value;
    this.expected = details.expected;
  }
}

export class BudgetExhaustedError extends OutriggerError {
  static override readonly brandCode = 'BUDGET_EXHAUSTED';
  constructor(service: string, cause?: unknown) {
    super(
      'BUDGET_EXHAUSTED',
      `${service}: the retry budget is spent, so the failure was not retried; the downstream is ` +
        'failing broadly (raise retry.budget.ratio / RETRY_BUDGET_RATIO only if you accept more load on it)',
      { cause },
    );
  }
}

export class FaultInjectedError extends OutriggerError {
  static override readonly brandCode = 'FAULT_INJECTED';
  readonly status: number;
  constructor(details: { service: string; status: number }) {
    super(
      'FAULT_INJECTED',
      `${details.service}: fault injection aborted this call with status ${details.status} on purpose ` +
        '(FAULT_ABORT_PERCENT); this is a drill, not a real failure',
    );
    this.status = details.status;
  }
}

export class ClientClosedError extends OutriggerError {
  static override readonly brandCode = 'CLIENT_CLOSED';
  constructor(service: string) {
    super('CLIENT_CLOSED', `${service}: the client was closed; create a new one to make calls`);
  }
}

/**
 * A call's own arguments are wrong (an absolute URL naming another host, a scheme the client
 * cannot send, a bad per-call override): refused before anything is sent. `CONFIG_INVALID` is for
 * the client's configuration; this is for one call, so the client stays usable.
 */
export class RequestInvalidError extends OutriggerError {
  static override readonly brandCode = 'REQUEST_INVALID';
  /** What the caller passed that was refused (the URL, the override's value). */
  readonly input: unknown;
  /** `what` names the refused input in the message (`cannot send to http://example.com/x`). */
  constructor(details: {
    service: string;
    input: unknown;
    what: string;
    problem: string;
    fix: string;
  }) {
    super(
      'REQUEST_INVALID',
      `${details.service}: ${details.what}: ${details.problem}; ${details.fix}`,
    );
    this.input = details.input;
  }
}

/**
 * The call failed on the wire and no attempt is left: its last attempt could not connect
 * (`unsent`: refused, unreachable, no address) or lost its connection before the response head.
 * The socket or TLS error is the `cause`. Named after gRPC's status for the same failures, so the
 * HTTP and gRPC clients give them one name.
 */
export class UnavailableError extends OutriggerError {
  static override readonly brandCode = 'UNAVAILABLE';
  /** True when the last attempt provably never reached a server (connection refused, ...). */
  readonly unsent: boolean;
  /**
   * `reason`, when the transport knows better than "the connection failed": what went wrong
   * and what to do, replacing the generic sentence (a response that arrived but cannot be read).
   */
  constructor(details: { service: string; unsent: boolean; reason?: string }, cause: unknown) {
    const what = (cause as { message?: unknown } | null)?.message;
    const detail = typeof what === 'string' && what.length > 0 ? ` (${what})` : '';
    super(
      'UNAVAILABLE',
      details.reason !== undefined
        ? `${details.service}: ${details.reason}`
        : details.unsent
          ? `${details.service}: no instance accepted the connection${detail}, and no attempt is ` +
            'left; the instances are down or the discovered addresses are wrong: check discovery ' +
            'or OUTRIGGER_<SERVICE>_ENDPOINTS'
          : `${details.service}: the connection failed before a response arrived${detail}, and no ` +
            'attempt is left; the server may have received the request',
      { cause },
    );
    this.unsent = details.unsent;
  }
}

/** True when `value` is an Outrigger error, optionally with the given code. */
export function isOutriggerError(value: unknown, code?: ErrorCode): value is OutriggerError {
  return isBranded(value) && (code === undefined || value.code === code);
}

/** A value as a message shows it: strings quoted, arrays and plain objects as JSON. */
function shownValue(value: unknown): string {
  if (typeof value === 'string') return JSON.stringify(value);
  const proto = Object.getPrototypeOf(value ?? 0);
  if (Array.isArray(value) || proto === Object.prototype || proto === null) {
    try {
      return JSON.stringify(value);
    } catch {
      // A BigInt or a cycle inside: shown as below.
    }
  }
  try {
    return String(value);
  } catch {
    // No usable toString (a null prototype, or a JSON key "toString"): the message must still be made.
    return Object.prototype.toString.call(value);
  }
}
