import { ConfigInvalidError } from '../errors/errors.js';
import type { ClientOptions } from './options.js';
import type { SettingDef } from './setting.js';
import { SETTINGS } from './settings.js';
import { unknownOptionError } from './unknown-option.js';

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

/** An options object's known keys: a setting at a leaf, a nested section's tree otherwise. */
interface ShapeTree {
  [key: string]: SettingDef | ShapeTree;
}

const isSetting = (node: SettingDef | ShapeTree | undefined): node is SettingDef =>
  node !== undefined && Array.isArray((node as SettingDef).path);

/** Every section's tree (`timeout`, `retry` with `retry.budget` inside), built from SETTINGS. */
function sectionTrees(): Map<string, ShapeTree> {
  const sections = new Map<string, ShapeTree>();
  for (const def of SETTINGS) {
    if (def.path.length < 2) continue;
    let tree = sections.get(def.path[0]!);
    if (!tree) {
      tree = {};
      sections.set(def.path[0]!, tree);
    }
    for (let i = 1; i < def.path.length - 1; i++) {
      tree[def.path[i]!] ??= {};
      tree = tree[def.path[i]!] as ShapeTree;
    }
    tree[def.path[def.path.length - 1]!] = def;
  }
  return sections;
}

/**
 * Refuses an option key no setting knows (`timout`, `retry.maxAttempt`), naming the nearest valid
 * one, and a section that is neither an object nor `false`, showing the section written out with
 * the value given (`timeout: 2000` → `timeout: { totalMs: 2000 }`); `extraKeys` are the
 * top-level options a protocol package adds.
 */
export function checkCodeShape(
  options: ClientOptions,
  extraKeys: readonly string[],
  service?: string,
): void {
  const prefix = service === undefined ? '' : `${service}: `;
  const sections = sectionTrees();
  const topLevel = [...CORE_KEYS, ...sections.keys(), ...extraKeys];
  const given = options as unknown as Record<string, unknown>;
  for (const key of Object.keys(options)) {
    if (topLevel.includes(key)) continue;
    throw unknownOptionError({
      path: key,
      value: given[key],
      valid: topLevel,
      prefix,
      suggest: (guess) =>
        sections.has(guess) ? sectionForm([guess], given[key]) : leafForm([guess], given[key]),
    });
  }
  for (const [name, tree] of sections) {
    const value = given[name];
    if (value === undefined || value === false) continue;
    walkShape([name], value, tree, prefix);
  }
}

function walkShape(path: string[], value: unknown, tree: ShapeTree, prefix: string): void {
  if (typeof value !== 'object' || value === null || Array.isArray(value)) {
    const form = sectionForm(path, value);
    throw new ConfigInvalidError({
      setting: `${prefix}option ${path.join('.')}`,
      value,
      expected:
        path.length === 1 ? 'an options object, or false to switch it off' : 'an options object',
      ...(form ? { hint: `Write ${form}` } : {}),
    });
  }
  for (const [key, child] of Object.entries(value)) {
    const known = tree[key];
    if (known === undefined) {
      throw unknownOptionError({
        path: [...path, key].join('.'),
        value: child,
        valid: Object.keys(tree),
        owner: path.join('.'),
        prefix,
        suggest: (guess) => {
          const node = tree[guess];
          return isSetting(node)
            ? leafForm(node.path, child)
            : sectionForm([...path, guess], child);
        },
      });
    }
    if (!isSetting(known) && child !== undefined) walkShape([...path, key], child, known, prefix);
  }
}

/**
 * `value` written as the section at `path` would take it, through the section's main setting:
 * the first one it declares directly (`timeout.totalMs`, `retry.maxAttempts`, `retry.budget.ratio`),
 * else its first one at any depth. `true` gets the section's defaults. Undefined when no such
 * form exists (an object, an array).
 */
function sectionForm(path: readonly string[], value: unknown): string | undefined {
  if (value === true) return `${written(path, '{}')} for its defaults`;
  if (typeof value !== 'number' && typeof value !== 'string') return undefined;
  const under = SETTINGS.filter(
    (def) => def.path.length > path.length && path.every((key, i) => def.path[i] === key),
  );
  const main = under.find((def) => def.path.length === path.length + 1) ?? under[0];
  return main === undefined ? undefined : leafForm(main.path, value);
}

/** `value` at the setting at `path` (`timeout: { totalMs: 2000 }`); its expected form if invalid there. */
function leafForm(path: readonly string[], value: unknown): string | undefined {
  const def = SETTINGS.find((d) => d.path.join('.') === path.join('.'));
  if (def === undefined || (typeof value === 'object' && value !== null)) return undefined;
  if (!def.schema.safeParse(value).success) return written(path, `<${def.expected}>`);
  return written(path, typeof value === 'string' ? JSON.stringify(value) : String(value));
}

/** `leaf` inside the objects `path` names: `retry: { budget: { ratio: 0.2 } }`. */
function written(path: readonly string[], leaf: string): string {
  let text = leaf;
  for (let i = path.length - 1; i >= 1; i--) text = `{ ${path[i]}: ${text} }`;
  return `${path[0]}: ${text}`;
}
