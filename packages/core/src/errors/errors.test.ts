import { describe, expect, it, vi } from 'vitest';
import {
  BudgetExhaustedError,
  BulkheadFullError,
  CircuitOpenError,
  ConfigInvalidError,
  isOutriggerError,
  NoEndpointsError,
  OutriggerError,
  RateLimitedError,
  RequestInvalidError,
  TimeoutError,
  UnavailableError,
} from './errors.js';

describe('errors', () => {
  it('every refusal has a stable code, a cause, and a message that says what to change', () => {
    const cause = new Error('socket hang up');
    const cases: [OutriggerError, string, RegExp][] = [
      [
        new TimeoutError({ service: 'payments', timeoutMs: 2_000, kind: 'total' }, cause),
        'TIMEOUT',
        /total deadline of 2000 ms expired; raise timeout.totalMs/,
      ],
      [
        new CircuitOpenError({ service: 'payments', retryInMs: 4_500 }),
        'CIRCUIT_OPEN',
        /trial call .* in ~4500 ms/,
      ],
      [
        new BulkheadFullError({ service: 'payments', maxConcurrent: 10, maxQueue: 5 }),
        'BULKHEAD_FULL',
        /10 calls in flight and 5 queued.*BULKHEAD_MAX_CONCURRENT/,
      ],
      [
        new RateLimitedError({ service: 'payments', perSecond: 100, retryInMs: 12 }),
        'RATE_LIMITED',
        /100\/s.*RATE_LIMIT_PER_SECOND/,
      ],
      [
        new NoEndpointsError(
          { service: 'payments', reason: 'discovery gave none within 2000 ms' },
          cause,
        ),
        'NO_ENDPOINTS',
        /OUTRIGGER_<SERVICE>_ENDPOINTS/,
      ],
      [
        new ConfigInvalidError({
          setting: 'OUTRIGGER_PAYMENTS_TIMEOUT_MS',
          value: 'abc',
          expected: 'an integer',
        }),
        'CONFIG_INVALID',
        /OUTRIGGER_PAYMENTS_TIMEOUT_MS="abc" is not valid: expected an integer/,
      ],
      [new BudgetExhaustedError('payments', cause), 'BUDGET_EXHAUSTED', /retry budget is spent/],
      [
        new RequestInvalidError({
          service: 'payments',
          input: 'http://example.com/',
          what: 'cannot send to http://example.com/',
          problem: 'another host',
          fix: 'use a path',
        }),
        'REQUEST_INVALID',
        /^payments: cannot send to http:\/\/example.com\/: another host; use a path$/,
      ],
      [
        new UnavailableError({ service: 'payments', unsent: true }, cause),
        'UNAVAILABLE',
        /no instance accepted the connection \(socket hang up\).*OUTRIGGER_<SERVICE>_ENDPOINTS/,
      ],
      [
        new UnavailableError({ service: 'payments', unsent: false }, cause),
        'UNAVAILABLE',
        /the connection failed before a response arrived \(socket hang up\).*may have received/,
      ],
      [
        new UnavailableError(
          { service: 'payments', unsent: false, reason: 'the answer is not HTTP' },
          cause,
        ),
        'UNAVAILABLE',
        /^payments: the answer is not HTTP$/,
      ],
    ];
    for (const [error, code, message] of cases) {
      expect(error.code).toBe(code);
      expect(error.message).toMatch(message);
      expect(error).toBeInstanceOf(OutriggerError);
      expect(error).toBeInstanceOf(Error);
      expect(error.name).toBe(error.constructor.name);
    }
    expect(cases[0]![0].cause).toBe(cause);
    expect(cases.at(-1)![0].cause).toBe(cause);
  });

  it('shows arrays and plain objects in a message as JSON, and can replace the usual form', () => {
    const list = new ConfigInvalidError({ setting: 'option x', value: ['a'], expected: 'y' });
    expect(list.message).toBe('option x=["a"] is not valid: expected y');
    const own = new ConfigInvalidError({ setting: 's', value: 1, expected: 'e', message: 'm' });
    expect(own).toMatchObject({ message: 'm', setting: 's', value: 1, expected: 'e' });
  });

  it('subclass instanceof is by code: a timeout is not a circuit-open error', () => {
    const timeout = new TimeoutError({ service: 's', timeoutMs: 1, kind: 'per-try' });
    expect(timeout).toBeInstanceOf(TimeoutError);
    expect(timeout).not.toBeInstanceOf(CircuitOpenError);
    expect(new Error('x')).not.toBeInstanceOf(OutriggerError);
    expect(null as unknown).not.toBeInstanceOf(OutriggerError);
    expect(isOutriggerError(timeout, 'TIMEOUT')).toBe(true);
    expect(isOutriggerError(timeout, 'CIRCUIT_OPEN')).toBe(false);
  });

  it('instanceof survives two copies of the module', async () => {
    vi.resetModules();
    const copy = await import('./errors.js');
    expect(copy.TimeoutError).not.toBe(TimeoutError);
    const fromCopy = new copy.TimeoutError({ service: 's', timeoutMs: 5, kind: 'total' });
    expect(fromCopy).toBeInstanceOf(OutriggerError);
    expect(fromCopy).toBeInstanceOf(TimeoutError);
    expect(fromCopy).not.toBeInstanceOf(CircuitOpenError);
    const fromHere = new CircuitOpenError({ service: 's' });
    expect(fromHere).toBeInstanceOf(copy.OutriggerError);
    expect(fromHere).toBeInstanceOf(copy.CircuitOpenError);
    expect(copy.isOutriggerError(fromHere, 'CIRCUIT_OPEN')).toBe(true);
  });

  it('user subclasses keep ordinary instanceof', () => {
    class MyError extends OutriggerError {}
    const mine = new MyError('TIMEOUT', 'custom');
    expect(mine).toBeInstanceOf(MyError);
    expect(new Error('plain')).not.toBeInstanceOf(MyError);
    expect(new TimeoutError({ service: 's', timeoutMs: 1, kind: 'total' })).not.toBeInstanceOf(
      MyError,
    );
    expect(mine).toBeInstanceOf(OutriggerError);
  });
});
