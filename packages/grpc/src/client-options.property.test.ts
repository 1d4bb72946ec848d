import { OutriggerError } from '@outrigger/core';
import fc from 'fast-check';
import { describe, expect, it, vi } from 'vitest';
import { createGrpcClient } from './client.js';
import { outriggerInterceptor } from './interceptor.js';
import { GRPC_OPTION_KEYS } from './options.js';
import { EchoClient } from './test-support/echo.js';

/**
 * Fuzzed inputs: the options the gRPC client adds to the shared ones (`credentials`,
 * `tls`, `channelOptions`, `methods`, `healthCheck`, ...). Any value either makes a client (closed
 * again at once) or is refused with CONFIG_INVALID naming the option; never a TypeError from
 * inside grpc-js or the option checks.
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
    '',
    ' ',
    '.',
    'Say',
    true,
    false,
    null,
    [],
    ['Say'],
    {},
    { Say: true },
    { 'grpc.keepalive_time_ms': -1 },
    { intervalMs: 0 },
    Object.create(null) as unknown,
    10n,
    () => undefined,
  ),
  fc.double(),
  fc.string({ maxLength: 10 }),
  fc.anything({ maxDepth: 1, withNullPrototype: true, withBigInt: true }),
);

describe('gRPC client options', () => {
  it('make a client, or are refused with CONFIG_INVALID naming the option', async () => {
    await fc.assert(
      fc.asyncProperty(fc.constantFrom(...GRPC_OPTION_KEYS), junk, async (key, value) => {
        const options = { service: 'fuzz-grpc', discovery: ['127.0.0.1:1'], env: {}, [key]: value };
        let client: { close(): Promise<void> };
        try {
          client = createGrpcClient(EchoClient, options as never) as unknown as {
            close(): Promise<void>;
          };
        } catch (error) {
          expect(error).toBeInstanceOf(OutriggerError);
          expect((error as OutriggerError).code).toBe('CONFIG_INVALID');
          expect((error as OutriggerError).message).toContain(key);
          return;
        }
        await client.close();
      }),
      { numRuns: 200, timeout: 2_000 },
    );
  });
});

describe('outriggerInterceptor options', () => {
  const keys = [
    'idempotent',
    'methods',
    'classifyStatus',
    'discovery',
    'balancer',
    'routes',
    'zone',
    'outlierDetection',
  ];

  it('make an interceptor, or are refused with CONFIG_INVALID naming the option', async () => {
    await fc.assert(
      fc.asyncProperty(fc.constantFrom(...keys), junk, async (key, value) => {
        let interceptor: { close(): Promise<void> };
        try {
          interceptor = outriggerInterceptor({
            service: 'fuzz-grpc',
            env: {},
            [key]: value,
          } as never);
        } catch (error) {
          expect(error).toBeInstanceOf(OutriggerError);
          expect((error as OutriggerError).code).toBe('CONFIG_INVALID');
          expect((error as OutriggerError).message).toContain(key);
          return;
        }
        await interceptor.close();
      }),
      { numRuns: 150, timeout: 2_000 },
    );
  });
});

/** What the properties above found, kept as plain cases. */
describe('counterexamples the gRPC option property found', () => {
  it.each([
    ['healthCheck', { n: 10n }],
    ['credentials', Object.create(null)],
    ['idempotent', Object.create(null)],
    ['classifyStatus', Object.create(null)],
  ])('refuses %s given a value JSON or String() cannot show (was a TypeError)', (key, value) => {
    const make = () =>
      createGrpcClient(EchoClient, {
        service: 'fuzz-grpc',
        discovery: ['127.0.0.1:1'],
        env: {},
        [key]: value,
      } as never);
    expect(make).toThrow(OutriggerError);
    expect(make).toThrow(key);
  });
});
