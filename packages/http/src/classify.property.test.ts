import fc from 'fast-check';
import { describe, expect, it, vi } from 'vitest';
import { classifyStatus, httpClassifier, parseRetryAfter } from './classify.js';

/**
 * Fuzzed inputs: `Retry-After` is whatever a server sends. A hint is a delay the retry
 * loop waits before trying again, so a malformed value must read as "no hint" (backoff applies),
 * never as NaN, a negative delay, or "retry now".
 */

// A property runs many cases: room for a loaded CI machine.
vi.setConfig({ testTimeout: 30_000 });

const NOW = Date.parse('Wed, 25 Nov 2026 08:00:00 GMT');
const LONG_DAYS = {
  Mon: 'Mon',
  Tue: 'Tues',
  Wed: 'Wednes',
  Thu: 'Thurs',
  Fri: 'Fri',
  Sat: 'Satur',
  Sun: 'Sun',
} as const;

/** Instants from 1970 to 2100, whole seconds, as HTTP dates carry them. */
const instant = fc.integer({ min: 0, max: 4_102_444_800 }).map((s) => s * 1_000);

const junk = fc.oneof(
  fc.string({ unit: 'binary', maxLength: 40 }),
  fc
    .array(
      fc.constantFrom(
        '1',
        '5',
        '.',
        '-',
        '+',
        ' ',
        'e',
        'GMT',
        'Sun',
        ',',
        'Nov',
        ':',
        '2026',
        'foo',
        '\t',
      ),
      { maxLength: 8 },
    )
    .map((parts) => parts.join('')),
  fc.double().map(String),
  fc.integer({ min: -1_000_000, max: 1_000_000 }).map(String),
  // An HTTP date with one character changed is no longer one.
  fc.tuple(instant, fc.nat(), fc.string({ minLength: 1, maxLength: 2 })).map(([at, i, c]) => {
    const text = new Date(at).toUTCString();
    const k = i % text.length;
    return text.slice(0, k) + c + text.slice(k + 1);
  }),
);

describe('Retry-After', () => {
  it('is undefined or a delay of 0 ms or more, never NaN or negative, for any text', () => {
    fc.assert(
      fc.property(fc.oneof(junk, fc.array(junk, { maxLength: 3 })), (value) => {
        const ms = parseRetryAfter(value, NOW);
        if (ms === undefined) return;
        expect(typeof ms).toBe('number');
        expect(ms).toBeGreaterThanOrEqual(0);
        expect(Number.isNaN(ms)).toBe(false);
      }),
      { numRuns: 500 },
    );
  });

  it('reads delay-seconds exactly, and nothing else that looks like a number', () => {
    fc.assert(
      fc.property(fc.oneof(fc.nat().map(String), junk), (text) => {
        const ms = parseRetryAfter(text, NOW);
        if (/^\s*\d+\s*$/.test(text)) expect(ms).toBe(Number(text.trim()) * 1_000);
        else if (!/GMT|\d{4}$/.test(text)) expect(ms).toBeUndefined();
      }),
      { numRuns: 500 },
    );
  });

  it('reads each of the three HTTP-date forms as the time left until that instant', () => {
    fc.assert(
      fc.property(instant, fc.constantFrom('imf', 'rfc850', 'asctime'), (at, form) => {
        const date = new Date(at);
        const imf = date.toUTCString();
        const [, dd, mon, yyyy, time] = imf.split(' ') as [string, string, string, string, string];
        const day = imf.slice(0, 3) as keyof typeof LONG_DAYS;
        const full = `${LONG_DAYS[day]}day`;
        const text =
          form === 'imf'
            ? imf
            : form === 'rfc850'
              ? `${full}, ${dd}-${mon}-${yyyy.slice(2)} ${time} GMT`
              : `${day} ${mon} ${String(date.getUTCDate()).padStart(2, ' ')} ${time} ${yyyy}`;
        const ms = parseRetryAfter(text, NOW);
        if (form === 'rfc850') {
          // Two-digit years: only a finite, non-negative delay is promised.
          expect(ms).toBeGreaterThanOrEqual(0);
          return;
        }
        expect(ms).toBe(Math.max(0, at - NOW));
      }),
      { numRuns: 300 },
    );
  });

  it('never makes a 429 or 503 anything but retryable or a failure, nor the hint NaN', () => {
    fc.assert(
      fc.property(
        fc.constantFrom(429, 503),
        fc.option(junk, { nil: undefined }),
        (status, header) => {
          const headers = header === undefined ? {} : { 'retry-after': header };
          expect(['retryable', 'failure']).toContain(classifyStatus(status, headers));
          const hint = httpClassifier.retryAfterMs?.({ statusCode: status, headers }, undefined);
          if (hint !== undefined) expect(hint).toBeGreaterThanOrEqual(0);
        },
      ),
      { numRuns: 200 },
    );
  });

  it('reads the malformed values that Date.parse takes for days in 2001 as no hint', () => {
    for (const text of ['1.5', '-5', 'foo 1', '2024-01-01', 'Sun Nov 6']) {
      expect(parseRetryAfter(text, NOW)).toBeUndefined();
    }
    // asctime carries no zone and means GMT whatever the process's time zone.
    expect(parseRetryAfter('Wed Nov 25 08:00:05 2026', NOW)).toBe(5_000);
  });
});
