import { z } from 'zod';
import { INVALID, type Invalid, isPlainNumber, parseOnOff } from './env-text.js';

/** The sections a client option can switch off with `false` (or an env `on`/`off`). */
export type SectionName =
  | 'timeout'
  | 'retry'
  | 'hedge'
  | 'breaker'
  | 'bulkhead'
  | 'rateLimit'
  | 'outlierDetection'
  | 'fault'
  | 'telemetry';

/**
 * One setting: where it lives in code options (`path`), the suffix of its environment
 * variables (`env`), its default, and what is valid. The README table is generated from
 * these, so docs and behaviour come from one place.
 */
export interface SettingDef<T = unknown> {
  readonly env: string;
  /** Path in the client options; `[section]` alone is that section's on/off switch. */
  readonly path: readonly string[];
  readonly section: SectionName | undefined;
  readonly default: T | undefined;
  /** What a valid value looks like, for error messages and the README. */
  readonly expected: string;
  readonly doc: string;
  readonly schema: z.ZodType<T>;
  /**
   * Parses an environment value that the resolver has already checked has no surrounding
   * whitespace and no control characters (`checkEnvText`); strict, so a typo never reads as a
   * neighbouring value.
   */
  parseEnv(raw: string): T | Invalid;
  /** How to write the value in the environment, when `expected` does not say (`digits only`). */
  readonly envForm?: string;
  format(value: T): string;
  /** For options that also take an object in code (a Discovery, a Balancer). */
  readonly acceptsObject?: boolean;
  /** The nearest valid form of a refused value, when one can be told (`drop the scheme: a:80`). */
  hint?(value: unknown, from: 'env' | 'code'): string | undefined;
}

type Common = { env: string; path: readonly string[]; doc: string; section?: SectionName };

function withSection(common: Common): SectionName | undefined {
  return common.section ?? (common.path.length > 1 ? (common.path[0] as SectionName) : undefined);
}

function numberSetting(
  common: Common,
  options: {
    min: number;
    max: number;
    integer: boolean;
    unit: string;
    default: number | undefined;
  },
): SettingDef<number> {
  let schema = z.number().min(options.min).max(options.max);
  if (options.integer) schema = schema.int();
  const kind = options.integer ? 'an integer' : 'a number';
  return {
    ...common,
    section: withSection(common),
    default: options.default,
    expected: `${kind} from ${options.min} to ${options.max}${options.unit ? ` (${options.unit})` : ''}`,
    schema,
    envForm: options.integer
      ? 'digits only, such as 250 (no sign, decimal point or exponent)'
      : 'a plain decimal such as 0.25 (no sign or exponent)',
    parseEnv(raw) {
      if (!isPlainNumber(raw, options.integer)) return INVALID;
      const value = Number(raw);
      return schema.safeParse(value).success ? value : INVALID;
    },
    format: (value) => String(value),
  };
}

export const ms = (common: Common, min: number, max: number, defaultValue?: number) =>
  numberSetting(common, { min, max, integer: true, unit: 'milliseconds', default: defaultValue });

export const int = (common: Common, min: number, max: number, defaultValue?: number, unit = '') =>
  numberSetting(common, { min, max, integer: true, unit, default: defaultValue });

export const ratio = (common: Common, defaultValue?: number) =>
  numberSetting(common, {
    min: 0,
    max: 1,
    integer: false,
    unit: 'a fraction',
    default: defaultValue,
  });

export const percent = (common: Common, defaultValue?: number) =>
  numberSetting(common, {
    min: 0,
    max: 100,
    integer: false,
    unit: 'percent',
    default: defaultValue,
  });

export function onOff(common: Common, defaultValue: boolean): SettingDef<boolean> {
  return {
    ...common,
    section: withSection(common) ?? (common.path[0] as SectionName),
    default: defaultValue,
    expected: 'on or off (also true/false, 1/0, yes/no)',
    schema: z.boolean(),
    parseEnv: parseOnOff,
    format: (value) => (value ? 'on' : 'off'),
  };
}

export function choice<const T extends string>(
  common: Common,
  values: readonly [T, ...T[]],
  defaultValue?: T,
  acceptsObject = false,
): SettingDef<T> {
  const schema = z.enum(values);
  return {
    ...common,
    section: withSection(common),
    default: defaultValue,
    expected: `one of ${values.join(', ')}`,
    schema: schema as unknown as z.ZodType<T>,
    parseEnv(raw) {
      return (values as readonly string[]).includes(raw) ? (raw as T) : INVALID;
    },
    format: (value) => value,
    acceptsObject,
  };
}

const HOST_PORT = /^(?:\[[0-9a-fA-F:.]+\]|[A-Za-z0-9.-]+):(\d{1,5})$/;

function isHostPort(text: string): boolean {
  const match = HOST_PORT.exec(text);
  if (!match) return false;
  const port = Number(match[1]);
  return port >= 1 && port <= 65_535;
}

/** One `host:port` entry as it should have been written, or undefined if past guessing. */
function hostPortFix(entry: string): { fixed: string; how: string } | undefined {
  const shown = JSON.stringify(entry);
  // The authority as written: a URL parser would drop a default port (`https://a:443` → `a`).
  const url = /^[a-zA-Z][a-zA-Z0-9+.-]*:\/\/(?:[^@/?#]*@)?([^/?#]*)/.exec(entry);
  if (url) {
    const authority = url[1]!;
    if (isHostPort(authority)) return { fixed: authority, how: `drop the scheme from ${shown}` };
    if (!/^(?:\[[0-9a-fA-F:.]+\]|[A-Za-z0-9.-]+)$/.test(authority)) return undefined;
    return {
      fixed: `${authority}:<port>`,
      how: `drop the scheme from ${shown} and give the port`,
    };
  }
  if (/^[A-Za-z0-9.-]+$/.test(entry)) {
    return { fixed: `${entry}:<port>`, how: `give ${shown} its port` };
  }
  return undefined;
}

/**
 * The nearest valid form of a refused endpoint list: each wrong entry rewritten (`http://a:80`
 * → `a:80`), and in code a single string turned into the array the option takes.
 */
function hostPortHint(value: unknown, from: 'env' | 'code'): string | undefined {
  const asText = typeof value === 'string';
  const entries = asText ? value.split(',').map((s) => s.trim()) : value;
  // The hint writes the list back out; one holding a non-string (a BigInt) cannot be.
  if (!Array.isArray(entries) || !entries.every((e) => typeof e === 'string')) return undefined;
  const hows: string[] = [];
  const fixed = entries.map((entry: unknown) => {
    if (typeof entry !== 'string' || isHostPort(entry)) return entry;
    const fix = hostPortFix(entry);
    if (!fix) return entry;
    hows.push(fix.how);
    return fix.fixed;
  });
  if (hows.length === 0 && !(asText && from === 'code')) return undefined;
  const form =
    from === 'env' ? fixed.join(',') : `[${fixed.map((e) => JSON.stringify(e)).join(', ')}]`;
  const why = hows.length > 0 ? hows.join('; ') : 'in code the endpoints are an array';
  return `${why[0]!.toUpperCase()}${why.slice(1)}: ${form}`;
}

export function hostPortList(common: Common): SettingDef<readonly string[]> {
  const schema = z.array(z.string().refine(isHostPort)).min(1);
  return {
    ...common,
    section: undefined,
    default: undefined,
    expected: 'a comma-separated list of host:port (port 1 to 65535), at least one',
    schema,
    parseEnv(raw) {
      const items = raw
        .split(',')
        .map((s) => s.trim())
        .filter((s) => s.length > 0);
      return schema.safeParse(items).success ? items : INVALID;
    },
    format: (value) => value.join(','),
    acceptsObject: true,
    hint: hostPortHint,
  };
}

export function text(common: Common, pattern: RegExp, expected: string): SettingDef<string> {
  const schema = z.string().regex(pattern);
  return {
    ...common,
    section: withSection(common),
    default: undefined,
    expected,
    schema,
    parseEnv: (raw) => (pattern.test(raw) ? raw : INVALID),
    format: (value) => value,
  };
}
