import fc from 'fast-check';
import { describe, expect, it, vi } from 'vitest';
import type { z } from 'zod';
import { type ConfigInvalidError, OutriggerError } from '../errors/errors.js';
import { type ResolvedConfig, resolveConfig } from './resolve.js';
import type { SettingDef } from './setting.js';
import { SETTINGS } from './settings.js';

/**
 * Fuzzed inputs: every setting's environment parser, found from the one settings list so
 * that a setting added later is fuzzed without anyone touching this file. For any text, resolving
 * either refuses with CONFIG_INVALID naming the variable and its value, or takes exactly what the
 * text says, within the setting's range: never a foreign error, never the default.
 */

// A property runs many cases: room for a loaded CI machine.
vi.setConfig({ testTimeout: 30_000 });

const SERVICE = 'fuzz-svc';
const SCOPES = ['OUTRIGGER_FUZZ_SVC_', 'OUTRIGGER_DEFAULT_'] as const;

/**
 * Settings whose values are checked against each other (backoff max ≥ base, ejection max ≥ base,
 * a rate when rate limiting is on), set wide open in the DEFAULT scope so that a refusal can only
 * come from the fuzzed value; a fuzzed DEFAULT value replaces its companion.
 */
const COMPANIONS: Readonly<Record<string, string>> = {
  RETRY_BACKOFF_BASE_MS: '1',
  RETRY_BACKOFF_MAX_MS: '3600000',
  OUTLIER_BASE_EJECTION_MS: '1',
  OUTLIER_MAX_EJECTION_MS: '3600000',
  RATE_LIMIT_PER_SECOND: '100',
};

function companionsFor(def: SettingDef): Record<string, string> {
  const env: Record<string, string> = {};
  for (const [name, value] of Object.entries(COMPANIONS)) {
    if (name !== def.env) env[`OUTRIGGER_DEFAULT_${name}`] = value;
  }
  return env;
}

type Outcome =
  | { kind: 'accepted'; resolved: ResolvedConfig }
  | { kind: 'refused'; error: ConfigInvalidError };

/** Resolves with one fuzzed variable; anything thrown but CONFIG_INVALID fails the property. */
function resolveWith(def: SettingDef, variable: string, raw: string): Outcome {
  try {
    const env = { ...companionsFor(def), [variable]: raw };
    return { kind: 'accepted', resolved: resolveConfig({ service: SERVICE, env }) };
  } catch (error) {
    if (!(error instanceof OutriggerError) || error.code !== 'CONFIG_INVALID') throw error;
    return { kind: 'refused', error: error as ConfigInvalidError };
  }
}

/** Text an operator might plausibly type, or mangle, for any kind of setting. */
const PIECES = [
  '0',
  '1',
  '5',
  '9',
  '00',
  '250',
  '65535',
  '65536',
  '3600000',
  '99999999999999999999',
  '.',
  '-',
  '+',
  'e',
  'E',
  'x',
  '_',
  ',',
  ':',
  '[',
  ']',
  ' ',
  '\t',
  '\r',
  '\n',
  '\u0000',
  '\u007f',
  '\u00a0',
  '\ufeff',
  'on',
  'OFF',
  'true',
  'Yes',
  'NaN',
  'Infinity',
  'null',
  'undefined',
  'p2c-ewma',
  'round-robin',
  'full',
  'none',
  'eu-west-1a',
  '127.0.0.1',
  '::1',
  'localhost',
  '10.0.0.5:8080',
  '[::1]:80',
];

const tokens = fc
  .array(fc.constantFrom(...PIECES), { minLength: 0, maxLength: 6 })
  .map((parts) => parts.join(''));

/** A value the setting's schema allows, written the way `format` writes it. */
function validText(def: SettingDef): fc.Arbitrary<string> {
  const schema = def.schema as z.ZodType;
  const type = (schema as unknown as { def: { type: string } }).def.type;
  if (type === 'number') {
    const n = schema as unknown as z.ZodNumber;
    const min = n.minValue ?? 0;
    const max = n.maxValue ?? 1_000_000;
    const value = n.isInt
      ? fc.integer({ min, max })
      : fc.integer({ min: min * 1000, max: max * 1000 }).map((k) => k / 1000);
    return value.map((v) => def.format(v));
  }
  if (type === 'enum') {
    return fc.constantFrom(...(schema as unknown as z.ZodEnum).options).map(String);
  }
  if (type === 'boolean') return fc.boolean().map((v) => def.format(v));
  if (type === 'array') {
    return fc
      .array(
        fc.tuple(
          fc.constantFrom('10.0.0.5', 'a.example', '[::1]', 'host-1'),
          fc.integer({ min: 1, max: 65_535 }),
        ),
        { minLength: 1, maxLength: 4 },
      )
      .map((items) => items.map(([h, p]) => `${h}:${p}`).join(','));
  }
  return fc.stringMatching(/^[A-Za-z0-9._-]{1,20}$/);
}

/** Any text at all, text built from likely pieces, and valid text with a typo spliced in. */
function rawText(def: SettingDef): fc.Arbitrary<string> {
  return fc.oneof(
    fc.string({ unit: 'binary', maxLength: 24 }),
    tokens,
    validText(def),
    fc.tuple(validText(def), fc.nat(), fc.constantFrom(...PIECES)).map(([text, at, piece]) => {
      const i = at % (text.length + 1);
      return text.slice(0, i) + piece + text.slice(i);
    }),
  );
}

function schemaType(def: SettingDef): string {
  return (def.schema as unknown as { def: { type: string } }).def.type;
}

describe('every setting parses its environment value strictly', () => {
  it('covers every setting in the list', () => {
    // A setting whose schema kind is new gets only the generic property below; say so here.
    const kinds = new Set(SETTINGS.map(schemaType));
    expect([...kinds].sort()).toEqual(['array', 'boolean', 'enum', 'number', 'string']);
    expect(SETTINGS.length).toBeGreaterThanOrEqual(40);
  });

  for (const def of SETTINGS) {
    it(`${def.env}: refuses with CONFIG_INVALID naming the variable, or takes exactly what is written`, () => {
      fc.assert(
        fc.property(fc.constantFrom(...SCOPES), rawText(def), (scope, raw) => {
          const variable = `${scope}${def.env}`;
          const outcome = resolveWith(def, variable, raw);
          if (outcome.kind === 'refused') {
            expect(outcome.error.setting).toBe(variable);
            expect(outcome.error.value).toBe(raw);
            expect(outcome.error.message).toContain(variable);
            return;
          }
          const resolved = outcome.resolved.settings.find((s) => s.def === def)!;
          // Never a silent default: the value came from this variable, and is in range.
          expect(resolved.source).toEqual({ kind: 'env', variable });
          expect(def.schema.safeParse(resolved.value).success).toBe(true);
          expect(resolved.value).toEqual(def.parseEnv(raw));
        }),
        { numRuns: 30 },
      );
    });
  }
});

const INTEGER = /^[0-9]+$/;
const DECIMAL = /^[0-9]+(?:\.[0-9]+)?$/;
const ON = ['on', 'true', '1', 'yes'];
const OFF = ['off', 'false', '0', 'no'];

/**
 * An oracle written apart from the parsers: what the README promises each kind of setting takes.
 * A parser that trims, reads a sign or an exponent, or falls back to a default disagrees with it.
 */
function expectedValue(def: SettingDef, raw: string): { ok: true; value: unknown } | { ok: false } {
  const schema = def.schema as unknown;
  switch (schemaType(def)) {
    case 'number': {
      const n = schema as z.ZodNumber;
      if (!(n.isInt ? INTEGER : DECIMAL).test(raw)) return { ok: false };
      const value = Number(raw);
      const inRange = value >= (n.minValue ?? -Infinity) && value <= (n.maxValue ?? Infinity);
      return inRange ? { ok: true, value } : { ok: false };
    }
    case 'boolean': {
      const lower = raw.toLowerCase();
      if (ON.includes(lower)) return { ok: true, value: true };
      if (OFF.includes(lower)) return { ok: true, value: false };
      return { ok: false };
    }
    case 'enum':
      return (schema as z.ZodEnum).options.includes(raw) ? { ok: true, value: raw } : { ok: false };
    default:
      throw new Error(`no oracle for ${def.env}`);
  }
}

describe('numbers, switches and choices agree with an independent oracle', () => {
  const withOracle = SETTINGS.filter((def) =>
    ['number', 'boolean', 'enum'].includes(schemaType(def)),
  );

  it('accepts exactly the documented forms', () => {
    fc.assert(
      fc.property(
        fc.constantFrom(...withOracle).chain((def) => fc.tuple(fc.constant(def), rawText(def))),
        ([def, raw]) => {
          const variable = `${SCOPES[0]}${def.env}`;
          const outcome = resolveWith(def, variable, raw);
          const expected = expectedValue(def, raw);
          if (!expected.ok) {
            expect(outcome.kind).toBe('refused');
            return;
          }
          expect(outcome.kind).toBe('accepted');
          if (outcome.kind !== 'accepted') return;
          const resolved = outcome.resolved.settings.find((s) => s.def === def)!;
          expect(resolved.value).toBe(expected.value);
        },
      ),
      { numRuns: 300 },
    );
  });

  it('reads back what format() writes, for every valid value', () => {
    fc.assert(
      fc.property(
        fc.constantFrom(...SETTINGS).chain((def) => fc.tuple(fc.constant(def), validText(def))),
        ([def, raw]) => {
          const outcome = resolveWith(def, `${SCOPES[0]}${def.env}`, raw);
          expect(outcome.kind).toBe('accepted');
          if (outcome.kind !== 'accepted') return;
          const resolved = outcome.resolved.settings.find((s) => s.def === def)!;
          expect(def.format(resolved.value as never)).toBe(raw);
        },
      ),
      { numRuns: 150 },
    );
  });
});
