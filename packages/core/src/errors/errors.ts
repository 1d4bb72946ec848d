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
  | 'CLIENT_CLOSED';

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
  constructor(details: { setting: string; value: unknown; expected: string; hint?: string }) {
    const shown =
      typeof details.value === 'string' ? JSON.stringify(details.value) : String(details.value);
    super(
      'CONFIG_INVALID',
      `${details.setting}=${shown} is not valid: expected ${details.expected}` +
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

/** True when `value` is an Outrigger error, optionally with the given code. */
export function isOutriggerError(value: unknown, code?: ErrorCode): value is OutriggerError {
  return isBranded(value) && (code === undefined || value.code === code);
}
