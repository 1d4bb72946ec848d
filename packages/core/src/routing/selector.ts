import type { Endpoint } from '../discovery/endpoint.js';
import { ConfigInvalidError } from '../errors/errors.js';

/** A subset of endpoints by metadata: every pair must match. `key` is canonical (sorted). */
export interface Selector {
  readonly key: string;
  readonly pairs: readonly (readonly [string, string])[];
}

export const EVERY_ENDPOINT: Selector = Object.freeze({ key: '', pairs: [] });

function fromPairs(pairs: [string, string][]): Selector {
  pairs.sort((a, b) => (a[0] < b[0] ? -1 : a[0] > b[0] ? 1 : 0));
  return Object.freeze({ key: pairs.map(([k, v]) => `${k}=${v}`).join(','), pairs });
}

/** `{ version: 'v2' }` as a selector; names the bad entry under `where`. */
export function selectorOf(record: unknown, where: string): Selector {
  if (typeof record !== 'object' || record === null || Array.isArray(record)) {
    throw new ConfigInvalidError({
      setting: `option ${where}`,
      value: record,
      expected: "an object of metadata labels, e.g. { version: 'v2' }",
    });
  }
  const pairs: [string, string][] = [];
  for (const [key, value] of Object.entries(record)) {
    if (typeof value !== 'string' || /[,=]/.test(key) || /[,=]/.test(value) || key.length === 0) {
      throw new ConfigInvalidError({
        setting: `option ${where}.${key}`,
        value,
        expected: 'a string label value; neither key nor value may contain "," or "="',
      });
    }
    pairs.push([key, value]);
  }
  return fromPairs(pairs);
}

/** The override header's value (`version=v2` or `version=v2,zone=eu-1`); undefined if malformed. */
export function parseSelector(text: string): Selector | undefined {
  const pairs: [string, string][] = [];
  for (const part of text.split(',')) {
    const eq = part.indexOf('=');
    if (eq <= 0) return undefined;
    const key = part.slice(0, eq).trim();
    const value = part.slice(eq + 1).trim();
    if (key.length === 0 || value.includes('=')) return undefined;
    pairs.push([key, value]);
  }
  return pairs.length > 0 ? fromPairs(pairs) : undefined;
}

export function selects(selector: Selector, endpoint: Endpoint): boolean {
  for (const [key, value] of selector.pairs) {
    if (endpoint.metadata[key] !== value) return false;
  }
  return true;
}
