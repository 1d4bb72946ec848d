import { ConfigInvalidError } from '../errors/errors.js';
import { childObject } from './object-tree.js';
import type { ClientOptions } from './options.js';
import { SETTINGS } from './settings.js';
import { closest } from './typo.js';

/** Top-level options that are not settings of a section. */
const CORE_KEYS = [
  'service',
  'discovery',
  'discoveryInitialWaitMs',
  'balancer',
  'zone',
  'env',
  'routes',
  'tracerProvider',
  'meterProvider',
];

/**
 * Refuses an option key no setting knows (`timout`, `retry.maxAttempt`), with the nearest valid
 * name as a hint, and a section that is neither an object nor `false`; `extraKeys` are the
 * top-level options a protocol package adds.
 */
export function checkCodeShape(options: ClientOptions, extraKeys: readonly string[]): void {
  const sections = new Map<string, unknown>();
  for (const def of SETTINGS) {
    if (def.path.length < 2) continue;
    let tree = sections.get(def.path[0]!) as Record<string, unknown> | undefined;
    if (!tree) {
      tree = {};
      sections.set(def.path[0]!, tree);
    }
    for (let i = 1; i < def.path.length; i++) {
      const key = def.path[i]!;
      if (i === def.path.length - 1) tree[key] = true;
      else tree = childObject(tree, key);
    }
  }
  const topLevel = new Set([...CORE_KEYS, ...sections.keys(), ...extraKeys]);
  for (const key of Object.keys(options)) {
    if (!topLevel.has(key)) unknownOption(key, topLevel);
  }
  for (const [name, tree] of sections) {
    const value = (options as unknown as Record<string, unknown>)[name];
    if (value === undefined || value === false) continue;
    if (typeof value !== 'object' || value === null || Array.isArray(value)) {
      throw new ConfigInvalidError({
        setting: `option ${name}`,
        value,
        expected: 'an options object, or false to switch it off',
      });
    }
    walkShape(name, value as Record<string, unknown>, tree as Record<string, unknown>);
  }
}

function walkShape(
  prefix: string,
  value: Record<string, unknown>,
  tree: Record<string, unknown>,
): void {
  for (const [key, child] of Object.entries(value)) {
    const known = tree[key];
    if (known === undefined) unknownOption(`${prefix}.${key}`, Object.keys(tree), prefix);
    if (known !== true && child !== undefined) {
      if (typeof child !== 'object' || child === null) {
        throw new ConfigInvalidError({
          setting: `option ${prefix}.${key}`,
          value: child,
          expected: 'an options object',
        });
      }
      walkShape(
        `${prefix}.${key}`,
        child as Record<string, unknown>,
        known as Record<string, unknown>,
      );
    }
  }
}

function unknownOption(path: string, valid: Iterable<string>, prefix?: string): never {
  const key = path.slice(path.lastIndexOf('.') + 1);
  const guess = closest(key, valid);
  const list = [...valid];
  throw new ConfigInvalidError({
    setting: `option ${path}`,
    value: '(unknown option)',
    expected: `one of ${prefix ? `${prefix}.{${list.join(', ')}}` : list.join(', ')}`,
    ...(guess ? { hint: `Did you mean ${prefix ? `${prefix}.` : ''}${guess}?` } : {}),
  });
}
