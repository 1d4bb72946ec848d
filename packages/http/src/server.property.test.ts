import { currentInbound, OutriggerError, systemClock } from '@outrigger/core';
import fc from 'fast-check';
import { describe, expect, it, vi } from 'vitest';
import { parseTimeoutHeader } from './propagation.js';
import { runInbound } from './server.js';

/**
 * Fuzzed inputs: the deadline header arrives from whoever calls this server. Whatever
 * it holds, the request is still served (the handler runs once, in the scope), and the scope's
 * deadline is either absent or no later than what the header and `maxTimeoutMs` allow.
 */

// A property runs many cases: room for a loaded CI machine.
vi.setConfig({ testTimeout: 30_000 });

const HEADER = 'outrigger-timeout-ms';

const headerText = fc.oneof(
  fc.string({ unit: 'binary', maxLength: 20 }),
  fc
    .array(
      fc.constantFrom(
        '0',
        '1',
        '25',
        '999',
        '.',
        '5',
        '-',
        '+',
        'e3',
        ',',
        ' ',
        '\t',
        'NaN',
        'Infinity',
        '0x10',
      ),
      {
        maxLength: 6,
      },
    )
    .map((parts) => parts.join('')),
  fc.double({ noNaN: false }).map(String),
  fc.nat().map(String),
  fc.stringMatching(/^[0-9]{15,400}$/),
);
const headerValue = fc.oneof(headerText, fc.array(headerText, { maxLength: 3 }));

/** The numbers a header value spells, when every comma-separated part is one. */
function numbers(value: string | string[]): number[] | undefined {
  const parts = (Array.isArray(value) ? value.join(',') : value).split(',').map((p) => p.trim());
  if (!parts.every((p) => /^\d+(\.\d+)?$/.test(p))) return undefined;
  return parts.map(Number);
}

describe('the inbound deadline header', () => {
  it('is the smallest of the numbers it lists, or undefined, never NaN or negative', () => {
    fc.assert(
      fc.property(headerValue, (value) => {
        const ms = parseTimeoutHeader(value);
        const listed = numbers(value);
        if (listed === undefined) {
          expect(ms).toBeUndefined();
          return;
        }
        expect(ms).toBe(Math.min(...listed));
        expect(ms).toBeGreaterThanOrEqual(0);
      }),
      { numRuns: 500 },
    );
  });

  it('still serves the request, once, with a deadline no later than the header and the cap allow', () => {
    const cap = fc.option(
      fc.oneof(fc.integer({ min: 1, max: 100_000 }), fc.constant(Number.POSITIVE_INFINITY)),
      {
        nil: undefined,
      },
    );
    const otherHeaders = fc.dictionary(
      fc.constantFrom('traceparent', 'tracestate', 'baggage', 'x-other', 'OUTRIGGER-TIMEOUT-MS'),
      headerValue,
      { maxKeys: 3, noNullPrototype: true },
    );
    fc.assert(
      fc.property(
        fc.option(headerValue, { nil: undefined }),
        otherHeaders,
        cap,
        (value, others, maxTimeoutMs) => {
          const headers: Record<string, string | string[] | undefined> = {
            ...others,
            [HEADER]: value,
          };
          const before = systemClock.now();
          let runs = 0;
          let seen: number | undefined;
          const result = runInbound(
            { headers },
            () => {
              runs++;
              seen = currentInbound()?.deadline;
              return 'served';
            },
            maxTimeoutMs === undefined ? undefined : { maxTimeoutMs },
          );
          const after = systemClock.now();
          expect(result).toBe('served');
          expect(runs).toBe(1);
          const asked = value === undefined ? undefined : parseTimeoutHeader(value);
          if (asked === undefined) {
            expect(seen).toBeUndefined();
            return;
          }
          expect(seen).not.toBeNaN();
          expect(seen).toBeLessThanOrEqual(
            after + Math.min(asked, maxTimeoutMs ?? Number.POSITIVE_INFINITY),
          );
          expect(seen).toBeGreaterThanOrEqual(
            before + Math.min(asked, maxTimeoutMs ?? Number.POSITIVE_INFINITY) - 1,
          );
        },
      ),
      { numRuns: 300 },
    );
  });

  it('refuses a cap or header option that is not one, rather than a NaN deadline per request', () => {
    const junk = fc.oneof(
      fc.constantFrom(
        Number.NaN,
        -1,
        0,
        -0,
        Number.NEGATIVE_INFINITY,
        '100',
        null,
        true,
        {},
        [],
        '',
      ),
      fc.double(),
      fc.string({ maxLength: 8 }),
    );
    fc.assert(
      fc.property(fc.constantFrom('maxTimeoutMs', 'header'), junk, (key, value) => {
        const headers = { [HEADER]: '100', 'x-deadline': '100' };
        let seen: number | undefined;
        try {
          runInbound(
            { headers },
            () => {
              seen = currentInbound()?.deadline;
            },
            { [key]: value },
          );
        } catch (error) {
          expect(error).toBeInstanceOf(OutriggerError);
          expect((error as OutriggerError).code).toBe('CONFIG_INVALID');
          expect((error as OutriggerError).message).toContain(key);
          return;
        }
        if (seen !== undefined) expect(seen).toBeGreaterThan(systemClock.now() - 1_000);
        expect(seen).not.toBeNaN();
      }),
      { numRuns: 200 },
    );
  });

  it('refuses maxTimeoutMs NaN and -1 (found by the property above)', () => {
    for (const maxTimeoutMs of [Number.NaN, -1]) {
      expect(() => runInbound({ headers: { [HEADER]: '100' } }, () => 0, { maxTimeoutMs })).toThrow(
        /maxTimeoutMs/,
      );
    }
  });
});
