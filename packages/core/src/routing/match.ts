import { unknownOptionError } from '../config/unknown-option.js';
import type { RequestInfo } from '../context/request-info.js';
import { ConfigInvalidError } from '../errors/errors.js';
import type { HeaderMatch, RouteMatch } from './route.js';

type HeaderTest = (value: string | undefined) => boolean;

/**
 * A compiled `RouteMatch`: validated once, then tested per attempt with string compares only
 * (no allocation unless a method arrives in lower case).
 */
export class RouteMatcher {
  readonly #methods: readonly string[] | undefined;
  readonly #exact: string | undefined;
  readonly #prefix: string | undefined;
  readonly #prefixSlash: string | undefined;
  readonly #headerNames: readonly string[];
  readonly #headerTests: readonly HeaderTest[];

  constructor(match: RouteMatch | undefined, where: string) {
    const m = match ?? {};
    if (typeof m !== 'object' || m === null) {
      throw new ConfigInvalidError({
        setting: `option ${where}`,
        value: m,
        expected: 'an object with method, path or headers',
      });
    }
    checkKeys(m, ['method', 'path', 'headers'], where);
    this.#methods = methodsOf(m.method, `${where}.method`);
    const path = m.path as Record<string, unknown> | undefined;
    if (path !== undefined) {
      // null in a JSON table would reach checkKeys' Object.keys as a TypeError.
      if (typeof path !== 'object' || path === null) {
        throw new ConfigInvalidError({
          setting: `option ${where}.path`,
          value: path,
          expected: "{ exact: '/x' } or { prefix: '/x' }",
        });
      }
      checkKeys(path, ['exact', 'prefix'], `${where}.path`);
      const exact = path.exact;
      const prefix = path.prefix;
      const given = exact !== undefined ? exact : prefix;
      if (
        (exact === undefined) === (prefix === undefined) ||
        typeof given !== 'string' ||
        !given.startsWith('/')
      ) {
        throw new ConfigInvalidError({
          setting: `option ${where}.path`,
          value: jsonOf(path),
          expected: "{ exact: '/x' } or { prefix: '/x' } (one of them, starting with /)",
        });
      }
      if (exact !== undefined) this.#exact = exact as string;
      else {
        const trimmed =
          (prefix as string).length > 1 ? (prefix as string).replace(/\/+$/, '') : '/';
        this.#prefix = trimmed;
        this.#prefixSlash = trimmed === '/' ? '/' : `${trimmed}/`;
      }
    }
    const headers = m.headers ?? {};
    if (typeof headers !== 'object' || headers === null) {
      throw new ConfigInvalidError({
        setting: `option ${where}.headers`,
        value: headers,
        expected: 'an object of header conditions',
      });
    }
    const entries = Object.entries(headers);
    this.#headerNames = entries.map(([name]) => name.toLowerCase());
    this.#headerTests = entries.map(([name, test]) => headerTest(test, `${where}.headers.${name}`));
  }

  matches(info: RequestInfo): boolean {
    const methods = this.#methods;
    if (methods !== undefined && !methods.includes(info.method)) return false;
    if (this.#exact !== undefined && info.path !== this.#exact) return false;
    if (this.#prefix !== undefined && this.#prefix !== '/') {
      const path = info.path;
      if (path !== this.#prefix && !path.startsWith(this.#prefixSlash!)) return false;
    }
    for (let i = 0; i < this.#headerTests.length; i++) {
      if (!this.#headerTests[i]!(info.header(this.#headerNames[i]!))) return false;
    }
    return true;
  }
}

function methodsOf(method: unknown, where: string): string[] | undefined {
  if (method === undefined) return undefined;
  const list = typeof method === 'string' ? [method] : method;
  if (
    !Array.isArray(list) ||
    list.length === 0 ||
    !list.every((x) => typeof x === 'string' && /^[A-Za-z]+$/.test(x))
  ) {
    throw new ConfigInvalidError({
      setting: `option ${where}`,
      value: jsonOf(method),
      expected: "a method name or a list of them, e.g. 'GET'",
    });
  }
  // Methods are case-sensitive (RFC 9110) and clients send them upper-case; a lower-case one
  // is accepted too rather than upper-casing every request's method.
  return list.flatMap((x: string) => [x.toUpperCase(), x.toLowerCase()]);
}

function headerTest(test: HeaderMatch, where: string): HeaderTest {
  if (typeof test === 'string') return (v) => v === test;
  const t = test as Record<string, unknown>;
  if (typeof t === 'object' && t !== null && Object.keys(t).length === 1) {
    if (typeof t.exact === 'string') return (v) => v === t.exact;
    if (typeof t.prefix === 'string') {
      const prefix = t.prefix;
      return (v) => v?.startsWith(prefix) === true;
    }
    if (t.regex instanceof RegExp) {
      // A global or sticky regex keeps state between tests; a fresh copy without those flags does not.
      const regex = new RegExp(t.regex.source, t.regex.flags.replace(/[gy]/g, ''));
      return (v) => v !== undefined && regex.test(v);
    }
    if (typeof t.present === 'boolean') {
      const present = t.present;
      return (v) => (v !== undefined) === present;
    }
  }
  throw new ConfigInvalidError({
    setting: `option ${where}`,
    value: typeof test === 'object' ? jsonOf(test) : test,
    expected:
      'a string, or one of { exact }, { prefix }, { regex: /.../ }, { present: true|false }',
  });
}

/** Unknown keys are errors: a misspelt `mach` would otherwise match every request. */
export function checkKeys(value: object, known: readonly string[], where: string): void {
  for (const key of Object.keys(value)) {
    if (!known.includes(key)) {
      throw unknownOptionError({
        path: `${where}.${key}`,
        value: (value as Record<string, unknown>)[key],
        valid: known,
        owner: where,
      });
    }
  }
}

/** A condition as JSON for the message; code can hold what JSON cannot (a BigInt, a cycle). */
function jsonOf(value: unknown): string {
  try {
    return JSON.stringify(value);
  } catch {
    return '(a value JSON cannot show)';
  }
}
