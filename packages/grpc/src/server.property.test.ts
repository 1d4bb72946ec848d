import { type handleUnaryCall, Metadata, status } from '@grpc/grpc-js';
import { currentInbound, OutriggerError, systemClock } from '@outrigger/core';
import fc from 'fast-check';
import { describe, expect, it, vi } from 'vitest';
import { classifyStatus, createGrpcClassifier, pushbackOf } from './classify.js';
import { inboundServerInterceptor, withInboundHandler, withInboundService } from './server.js';

/**
 * Fuzzed inputs, gRPC side: the inbound deadline (`grpc-timeout`, which grpc-js turns
 * into the call's `getDeadline()`) and `grpc-retry-pushback-ms` come from the other end of the
 * wire. Whatever they hold, a call is still served once, inside a deadline that is absent or no
 * later than asked and capped; a pushback is a delay of 0 ms or more, or none.
 */

// A property runs many cases: room for a loaded CI machine.
vi.setConfig({ testTimeout: 30_000 });

const junkText = fc.oneof(
  fc.string({ maxLength: 14 }),
  fc
    .array(fc.constantFrom('0', '1', '9', '-', '+', ' ', '.', 'e', 'x', '1000', '99999999999'), {
      maxLength: 5,
    })
    .map((parts) => parts.join('')),
  fc.nat().map(String),
);

/** Metadata with the given values under `key`; values grpc-js itself refuses are left out. */
function metadataWith(key: string, values: readonly string[]): Metadata {
  const metadata = new Metadata();
  for (const value of values) {
    try {
      metadata.add(key, value);
    } catch {
      // Not printable ASCII: grpc-js would never hand it to us either.
    }
  }
  return metadata;
}

describe('grpc-retry-pushback-ms', () => {
  it('is none, "stop" (null), or a whole number of ms, and never turns into a NaN or negative delay', () => {
    const classifier = createGrpcClassifier();
    fc.assert(
      fc.property(
        fc.array(junkText, { maxLength: 3 }),
        fc.constantFrom(status.UNAVAILABLE, status.RESOURCE_EXHAUSTED, status.INTERNAL),
        (values, code) => {
          const metadata = metadataWith('grpc-retry-pushback-ms', values);
          const pushback = pushbackOf(metadata);
          const first = metadata.get('grpc-retry-pushback-ms')[0];
          if (first === undefined) expect(pushback).toBeUndefined();
          else if (/^\s*\d{1,10}\s*$/.test(String(first)))
            expect(pushback).toBe(Number(String(first).trim()));
          else expect(pushback).toBeNull();
          const error = Object.assign(new Error('x'), { code, details: '', metadata });
          expect(['retryable', 'unsent', 'failure']).toContain(classifyStatus(error));
          const hint = classifier.retryAfterMs?.(undefined, error);
          if (hint !== undefined) expect(Number.isInteger(hint) && hint >= 0).toBe(true);
        },
      ),
      { numRuns: 300 },
    );
  });
});

/** What grpc-js may report as a call's deadline: ms since the epoch, a Date, or Infinity. */
const deadline = fc.oneof(
  fc.constant(Number.POSITIVE_INFINITY),
  fc.integer({ min: -10_000, max: 10_000_000 }).map((ms) => Date.now() + ms),
  fc.integer({ min: -10_000, max: 10_000_000 }).map((ms) => new Date(Date.now() + ms)),
  fc.constantFrom(
    Number.NaN,
    Number.NEGATIVE_INFINITY,
    0,
    -1,
    new Date(Number.NaN),
    Number.MAX_VALUE,
  ),
);

const traceHeaders = fc.dictionary(
  fc.constantFrom('traceparent', 'tracestate', 'baggage', 'grpc-timeout'),
  fc.array(junkText, { minLength: 1, maxLength: 2 }),
  { maxKeys: 3 },
);

describe('the inbound deadline', () => {
  it('serves the call once, with a deadline that is absent or no later than asked and capped', () => {
    const cap = fc.option(
      fc.oneof(fc.integer({ min: 1, max: 100_000 }), fc.constant(Number.POSITIVE_INFINITY)),
      {
        nil: undefined,
      },
    );
    fc.assert(
      fc.property(deadline, traceHeaders, cap, (given, headers, maxTimeoutMs) => {
        const metadata = new Metadata();
        for (const [key, values] of Object.entries(headers)) {
          for (const value of values) {
            try {
              metadata.add(key, value);
            } catch {
              // grpc-js refuses it on the wire too.
            }
          }
        }
        const call = { getDeadline: () => given, metadata, emit: () => true };
        let runs = 0;
        let seen: number | undefined;
        const handler = withInboundHandler<handleUnaryCall<unknown, unknown>>(
          () => {
            runs++;
            seen = currentInbound()?.deadline;
          },
          maxTimeoutMs === undefined ? undefined : { maxTimeoutMs },
        );
        const before = systemClock.now();
        const wallBefore = Date.now();
        handler(call as never, () => {});
        const after = systemClock.now();
        expect(runs).toBe(1);
        const at = given instanceof Date ? given.getTime() : given;
        if (!(at < Number.POSITIVE_INFINITY)) {
          // No deadline (or one grpc-js could not read): the call runs unbounded, as without one.
          expect(seen).toBeUndefined();
          return;
        }
        expect(seen).toBeDefined();
        expect(Number.isNaN(seen)).toBe(false);
        const asked = Math.min(at - wallBefore, maxTimeoutMs ?? Number.POSITIVE_INFINITY);
        expect(seen!).toBeLessThanOrEqual(after + asked + 5);
        expect(seen!).toBeGreaterThanOrEqual(before + asked - 5);
      }),
      { numRuns: 300 },
    );
  });

  it('refuses options that are not { maxTimeoutMs > 0 } with CONFIG_INVALID naming the helper', () => {
    const junk = fc.oneof(
      fc.constantFrom(Number.NaN, -1, 0, '100', null, true, [], 5, 'x', () => 1),
      fc.record({ maxTimeoutMs: fc.oneof(fc.double(), fc.string({ maxLength: 4 })) }),
      fc.dictionary(fc.string({ maxLength: 6 }), fc.integer(), { maxKeys: 2 }),
    );
    const makers = {
      'withInboundHandler()': (options: unknown) => withInboundHandler(() => {}, options as never),
      'withInboundService()': (options: unknown) =>
        withInboundService({ m() {} }, options as never),
      'inboundServerInterceptor()': (options: unknown) =>
        inboundServerInterceptor(options as never),
    };
    fc.assert(
      fc.property(
        fc.constantFrom(...(Object.keys(makers) as (keyof typeof makers)[])),
        junk,
        (name, options) => {
          try {
            makers[name](options);
          } catch (error) {
            expect(error).toBeInstanceOf(OutriggerError);
            expect((error as OutriggerError).code).toBe('CONFIG_INVALID');
            expect((error as OutriggerError).message).toContain(name);
            return;
          }
          const { maxTimeoutMs } = (options ?? {}) as { maxTimeoutMs?: unknown };
          expect(
            maxTimeoutMs === undefined || (typeof maxTimeoutMs === 'number' && maxTimeoutMs > 0),
          ).toBe(true);
        },
      ),
      { numRuns: 200 },
    );
  });
});
