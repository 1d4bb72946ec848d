import fc from 'fast-check';
import { describe, expect, it, vi } from 'vitest';
import { buildChain } from '../chain/build.js';
import { OutriggerError } from '../errors/errors.js';
import type { ClientOptions } from './options.js';
import { resolveConfig } from './resolve.js';
import type { SettingDef } from './setting.js';
import { SETTINGS } from './settings.js';

/**
 * Fuzzed inputs: option objects. Any value at any depth of any setting's option path,
 * and junk in the options that are not settings, either resolves to exactly that value or is
 * refused with CONFIG_INVALID naming the option: never a TypeError from deep inside, never a
 * default standing in for what the caller wrote. Client creation (`buildChain`) is held to the
 * same rule, since that is where a Discovery, a Balancer or a provider is first used.
 */

// A property runs many cases: room for a loaded CI machine (each case has its own fast-check timeout).
vi.setConfig({ testTimeout: 30_000 });

const SERVICE = 'fuzz-svc';
const ENDPOINTS = ['127.0.0.1:1'];
/** Cross-checked companions, set wide open in the environment so code values alone decide. */
const ENV = {
  OUTRIGGER_DEFAULT_RETRY_BACKOFF_BASE_MS: '1',
  OUTRIGGER_DEFAULT_RETRY_BACKOFF_MAX_MS: '3600000',
  OUTRIGGER_DEFAULT_OUTLIER_BASE_EJECTION_MS: '1',
  OUTRIGGER_DEFAULT_OUTLIER_MAX_EJECTION_MS: '3600000',
  OUTRIGGER_DEFAULT_RATE_LIMIT_PER_SECOND: '100',
};

const transport = async () => 'ok';

/** Values a caller's code, a JSON file or a config loader could put anywhere. */
const junk: fc.Arbitrary<unknown> = fc.oneof(
  fc.constantFrom(
    Number.NaN,
    Number.POSITIVE_INFINITY,
    Number.NEGATIVE_INFINITY,
    -0,
    -1,
    0,
    0.5,
    1,
    2 ** 31,
    2 ** 53 + 2,
    Number.MAX_VALUE,
    Number.MIN_VALUE,
    '',
    ' ',
    '10',
    ' 10 ',
    '10\u0000',
    'on',
    'p2c-ewma',
    true,
    false,
    null,
    undefined,
    [],
    {},
    Object.create(null) as unknown,
    { toString: 'not a function' },
    Symbol('junk'),
    10n,
    () => 1,
    /x/,
    new Date(Number.NaN),
    new Map([['a', 1]]),
  ),
  fc.double(),
  fc.integer({ min: -10, max: 10_000_000 }),
  fc.string({ unit: 'binary', maxLength: 12 }),
  fc.anything({
    maxDepth: 2,
    withNullPrototype: true,
    withBigInt: true,
    withBoxedValues: true,
    withDate: true,
    withMap: true,
    withSet: true,
    withSparseArray: true,
    withTypedArray: true,
  }),
);

/** A value the setting allows in code, so that acceptance is exercised as well as refusal. */
function validValue(def: SettingDef): fc.Arbitrary<unknown> {
  const type = (def.schema as unknown as { def: { type: string } }).def.type;
  if (type === 'number') return fc.integer({ min: 0, max: 3_600_000 });
  if (type === 'boolean') return fc.boolean();
  if (type === 'enum')
    return fc.constantFrom(...(def.schema as unknown as { options: string[] }).options);
  if (type === 'array') return fc.constant(['10.0.0.1:80', '[::1]:81']);
  return fc.stringMatching(/^[A-Za-z0-9._-]{1,12}$/);
}

/** `{ a: { b: value } }` for the path `a.b`. */
function nested(path: readonly string[], value: unknown): Record<string, unknown> {
  let node: unknown = value;
  for (let i = path.length - 1; i >= 0; i--) node = { [path[i]!]: node };
  return node as Record<string, unknown>;
}

function isSwitch(def: SettingDef): boolean {
  return def.section !== undefined && def.path.length === 1;
}

type Attempt = { ok: true } | { ok: false; error: OutriggerError };

/** Resolves and builds a client's chain from `options`; only CONFIG_INVALID may be thrown. */
async function build(options: Record<string, unknown>): Promise<Attempt> {
  try {
    const chain = buildChain({ options: options as unknown as ClientOptions, transport });
    await chain.close();
    return { ok: true };
  } catch (error) {
    if (!(error instanceof OutriggerError) || error.code !== 'CONFIG_INVALID') throw error;
    return { ok: false, error };
  }
}

describe('option objects: a value at any depth of any setting', () => {
  // By env name, so that a counterexample prints as a name rather than a whole definition.
  const byName = new Map(SETTINGS.map((def) => [def.env, def]));
  const cases = fc.constantFrom(...byName.keys()).chain((name) => {
    const def = byName.get(name)!;
    return fc.tuple(
      fc.constant(name),
      fc.integer({ min: 1, max: def.path.length }),
      fc.oneof({ weight: 3, arbitrary: junk }, { weight: 1, arbitrary: validValue(def) }),
    );
  });

  it('resolves to exactly the value written, or refuses naming the option', () => {
    fc.assert(
      fc.property(cases, ([name, depth, value]) => {
        const def = byName.get(name)!;
        const at = def.path.slice(0, depth);
        const options = { service: SERVICE, env: ENV, ...nested(at, value) } as ClientOptions;
        if (def.env !== 'ENDPOINTS') (options as { discovery?: unknown }).discovery ??= ENDPOINTS;
        let resolved: ReturnType<typeof resolveConfig>;
        try {
          resolved = resolveConfig(options);
        } catch (error) {
          if (!(error instanceof OutriggerError) || error.code !== 'CONFIG_INVALID') throw error;
          expect(error.message).toContain(at.join('.'));
          return;
        }
        const setting = resolved.settings.find((s) => s.def === def)!;
        if (depth < def.path.length || value === undefined) {
          // Only "not given" (or a section's false, or an empty object on the way) gets here.
          if (value !== undefined && value !== false) expect(typeof value).toBe('object');
          return;
        }
        if (isSwitch(def)) {
          expect(setting.value).toBe(value !== false);
          return;
        }
        expect(setting.source).toEqual({ kind: 'code', option: def.path.join('.') });
        expect(setting.value).toBe(value);
        const isObject = def.acceptsObject === true && typeof value === 'object' && value !== null;
        if (!isObject) expect(def.schema.safeParse(value).success).toBe(true);
      }),
      { numRuns: 250 },
    );
  });

  it('builds a client from it, or refuses with CONFIG_INVALID naming the option', async () => {
    await fc.assert(
      fc.asyncProperty(cases, async ([name, depth, value]) => {
        const def = byName.get(name)!;
        const at = def.path.slice(0, depth);
        const options: Record<string, unknown> = {
          service: SERVICE,
          env: ENV,
          ...nested(at, value),
        };
        if (def.env !== 'ENDPOINTS') options.discovery ??= ENDPOINTS;
        const outcome = await build(options);
        if (!outcome.ok) expect(outcome.error.message).toMatch(new RegExp(`${at[0]}|${def.env}`));
      }),
      { numRuns: 100, timeout: 2_000 },
    );
  });
});

describe('option objects: the options that are not settings', () => {
  const keys = [
    'service',
    'env',
    'routes',
    'tracerProvider',
    'meterProvider',
    'zone',
    'discovery',
    'balancer',
  ];

  it('builds a client, or refuses with CONFIG_INVALID naming the option', async () => {
    await fc.assert(
      fc.asyncProperty(fc.constantFrom(...keys), junk, async (key, value) => {
        const options: Record<string, unknown> = {
          service: SERVICE,
          env: {},
          discovery: ENDPOINTS,
        };
        options[key] = value;
        const outcome = await build(options);
        if (!outcome.ok) expect(outcome.error.message).toContain(key);
      }),
      { numRuns: 150, timeout: 2_000 },
    );
  });

  it('builds a client, or refuses, whatever the environment object holds', async () => {
    const env = fc.dictionary(
      fc.oneof(
        fc.constantFrom(...SETTINGS.map((s) => `OUTRIGGER_FUZZ_SVC_${s.env}`)),
        fc.constantFrom(...SETTINGS.map((s) => `OUTRIGGER_DEFAULT_${s.env}`)),
        fc.string({ maxLength: 30 }).map((s) => `OUTRIGGER_${s}`),
      ),
      junk,
      { maxKeys: 3 },
    );
    await fc.assert(
      fc.asyncProperty(env, async (vars) => {
        const outcome = await build({ service: SERVICE, env: vars, discovery: ENDPOINTS });
        if (!outcome.ok) {
          // A switch turned on without its companion is refused naming the companion it needs.
          const named = Object.keys(vars).some((name) => {
            const setting = name.replace(/^OUTRIGGER_(?:DEFAULT|FUZZ_SVC)_/, '');
            return outcome.error.message.includes(name) || outcome.error.message.includes(setting);
          });
          expect(named).toBe(true);
        }
      }),
      { numRuns: 150, timeout: 2_000 },
    );
  });

  it('refuses a whole options object of junk, or builds it', async () => {
    const sectionNames = [...new Set(SETTINGS.map((s) => s.path[0]!))];
    const tree = fc.dictionary(
      fc.oneof(fc.constantFrom(...sectionNames), fc.string({ maxLength: 8 })),
      fc.oneof(junk, fc.dictionary(fc.string({ maxLength: 10 }), junk, { maxKeys: 3 })),
      { maxKeys: 4 },
    );
    await fc.assert(
      fc.asyncProperty(tree, async (options) => {
        await build({ ...options, service: SERVICE, env: ENV, discovery: ENDPOINTS });
      }),
      { numRuns: 100, timeout: 2_000 },
    );
  });
});

/** What the properties above found, kept as plain cases. */
describe('counterexamples the option properties found', () => {
  async function refusal(options: Record<string, unknown>): Promise<OutriggerError> {
    const outcome = await build(options);
    if (outcome.ok) throw new Error('expected CONFIG_INVALID, but the client was built');
    return outcome.error;
  }

  it('refuses an environment value that is not text, naming the variable (was a TypeError)', async () => {
    const error = await refusal({
      service: SERVICE,
      env: { OUTRIGGER_DEFAULT_ENDPOINTS: Number.NaN },
      discovery: ENDPOINTS,
    });
    expect(error.message).toContain('OUTRIGGER_DEFAULT_ENDPOINTS');
  });

  it('refuses an env option that is not an object, rather than reading no variables', async () => {
    for (const env of ['OUTRIGGER_FUZZ_SVC_TIMEOUT_MS=5', new Map([['a', 'b']]), [], 5]) {
      expect((await refusal({ service: SERVICE, env, discovery: ENDPOINTS })).message).toContain(
        'env',
      );
    }
  });

  it('refuses a list holding a BigInt where a name is expected (was a TypeError from JSON)', async () => {
    const error = await refusal({
      service: SERVICE,
      env: {},
      balancer: [[0n]],
      discovery: ENDPOINTS,
    });
    expect(error.message).toContain('balancer');
  });

  it('refuses balancer: null in resolveConfig, not only when the chain is built', () => {
    expect(() => resolveConfig({ service: SERVICE, env: {}, balancer: null } as never)).toThrow(
      /balancer/,
    );
  });

  it('refuses a tracer or meter provider without its method (was a TypeError)', async () => {
    expect(
      (await refusal({ service: SERVICE, env: {}, discovery: ENDPOINTS, meterProvider: [] }))
        .message,
    ).toContain('meterProvider');
    expect(
      (await refusal({ service: SERVICE, env: {}, discovery: ENDPOINTS, tracerProvider: 5 }))
        .message,
    ).toContain('tracerProvider');
  });

  it('refuses a discovery object with a null prototype, naming the option (was a TypeError from String())', async () => {
    const error = await refusal({ service: SERVICE, env: {}, discovery: Object.create(null) });
    expect(error.message).toContain('discovery');
  });

  it('refuses a value whose String() throws, naming the option (was a TypeError making the message)', async () => {
    for (const value of [Object.create(null), { toString: 'not a function' }]) {
      const error = await refusal({
        service: SERVICE,
        env: {},
        discovery: ENDPOINTS,
        discoveryInitialWaitMs: value,
      });
      expect(error.message).toContain('discoveryInitialWaitMs');
    }
  });

  it('refuses an endpoint list holding a BigInt beside a fixable entry (was a TypeError writing the hint)', async () => {
    const error = await refusal({ service: SERVICE, env: {}, discovery: ['0', 0n] });
    expect(error.message).toContain('discovery');
  });
});
