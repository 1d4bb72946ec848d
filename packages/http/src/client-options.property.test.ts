import { OutriggerError } from '@outrigger/core';
import fc from 'fast-check';
import { describe, expect, it, vi } from 'vitest';
import { createHttpClient } from './client.js';
import { HTTP_OPTION_KEYS } from './options.js';

/**
 * Fuzzed inputs: the options the HTTP client adds to the shared ones (`tls`,
 * `connections`, `deadlineHeader`, ...). Any value either makes a client (closed again at once) or
 * is refused with CONFIG_INVALID naming the option; never a TypeError or an fs error from inside.
 */

// A property runs many cases: room for a loaded CI machine (each case has its own fast-check timeout).
vi.setConfig({ testTimeout: 30_000 });

const junk: fc.Arbitrary<unknown> = fc.oneof(
  fc.constantFrom(
    Number.NaN,
    Number.POSITIVE_INFINITY,
    -1,
    0,
    1,
    2 ** 31,
    '',
    ' ',
    '.',
    '/nonexistent/ca.pem',
    'x-deadline-ms',
    'authorization',
    true,
    false,
    null,
    [],
    {},
    Object.create(null) as unknown,
    10n,
    () => undefined,
  ),
  fc.double(),
  fc.integer({ min: -10, max: 100_000 }),
  fc.string({ maxLength: 10 }),
  fc.anything({ maxDepth: 1, withNullPrototype: true, withBigInt: true }),
);
const tls = fc.oneof(
  junk,
  fc.record(
    {
      ca: junk,
      cert: junk,
      key: junk,
      caFile: fc.oneof(junk, fc.constantFrom('.', '/nonexistent/ca.pem', '')),
      certFile: junk,
      keyFile: junk,
      reload: junk,
      servername: junk,
      rejectUnauthorized: junk,
    },
    { requiredKeys: [] },
  ),
);

describe('HTTP client options', () => {
  it('make a client, or are refused with CONFIG_INVALID naming the option', async () => {
    await fc.assert(
      fc.asyncProperty(
        fc.constantFrom(...HTTP_OPTION_KEYS),
        junk,
        tls,
        async (key, value, tlsValue) => {
          const options: Record<string, unknown> = {
            service: 'fuzz-http',
            discovery: ['127.0.0.1:1'],
            env: {},
            [key]: key === 'tls' ? tlsValue : value,
          };
          let client: ReturnType<typeof createHttpClient>;
          try {
            client = createHttpClient(options as never);
          } catch (error) {
            expect(error).toBeInstanceOf(OutriggerError);
            expect((error as OutriggerError).code).toBe('CONFIG_INVALID');
            expect((error as OutriggerError).message).toContain(key);
            return;
          }
          await client.close();
        },
      ),
      { numRuns: 200, timeout: 2_000 },
    );
  });
});
