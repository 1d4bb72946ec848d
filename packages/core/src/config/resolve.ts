import { ConfigInvalidError } from '../errors/errors.js';
import { checkServiceName, DEFAULT_SCOPE, ENV_PREFIX, serviceEnvKey, variableName } from './env.js';
import type { ClientOptions, EffectiveConfig } from './options.js';
import { checkEnvText, INVALID, type SectionName, type SettingDef } from './setting.js';
import { SETTINGS, SETTINGS_BY_ENV } from './settings.js';
import { closest } from './typo.js';

export type SettingSource =
  | { readonly kind: 'default' }
  | { readonly kind: 'env'; readonly variable: string }
  | { readonly kind: 'code'; readonly option: string };

export interface ResolvedSetting {
  readonly def: SettingDef;
  readonly value: unknown;
  readonly source: SettingSource;
}

export interface ResolvedConfig {
  readonly config: EffectiveConfig;
  readonly settings: readonly ResolvedSetting[];
  /** Suspicious variables that could belong to another service, so were not fatal. */
  readonly warnings: readonly string[];
  /** Where the value of the setting with this env suffix (`TIMEOUT_MS`) came from. */
  sourceOf(env: string): SettingSource;
  /** One line per setting: `timeout.totalMs = 2000  (code: timeout.totalMs)`. */
  describe(): string;
}

export interface ResolveOptions {
  /** Top-level option keys a protocol package adds (`tls`, `connections`, ...). */
  extraKeys?: readonly string[];
}

const CORE_KEYS = [
  'service',
  'discovery',
  'discoveryInitialWaitMs',
  'balancer',
  'zone',
  'env',
  'routes',
];

/**
 * Resolves client options against the environment, by precedence (lowest first): built-in
 * default < `OUTRIGGER_DEFAULT_*` < code < `OUTRIGGER_<SERVICE>_*`. The operator's per-service
 * variable wins over code so that a setting can be tuned or switched off without a redeploy.
 */
export function resolveConfig(
  options: ClientOptions,
  resolve: ResolveOptions = {},
): ResolvedConfig {
  if (typeof options !== 'object' || options === null) {
    throw new ConfigInvalidError({
      setting: 'options',
      value: options,
      expected: 'an options object with at least { service }',
    });
  }
  const service = checkServiceName(options.service);
  const env = options.env ?? process.env;
  const scope = serviceEnvKey(service);
  checkCodeShape(options, resolve.extraKeys ?? []);
  const warnings = scanEnvNames(env, scope);

  const settings = SETTINGS.map((def) => resolveSetting(def, options, env, scope, service));
  const byEnv = new Map(settings.map((s) => [s.def.env, s]));
  const config = buildEffective(service, settings, byEnv);

  return {
    config,
    settings,
    warnings,
    sourceOf: (name) => {
      const found = byEnv.get(name);
      if (!found)
        throw new RangeError(`no setting ${name}; valid: ${[...byEnv.keys()].join(', ')}`);
      return found.source;
    },
    describe: () => describeSettings(config, settings),
  };
}

function resolveSetting(
  def: SettingDef,
  options: ClientOptions,
  env: Readonly<Record<string, string | undefined>>,
  scope: string,
  service: string,
): ResolvedSetting {
  let value: unknown = def.default;
  let source: SettingSource = { kind: 'default' };

  const fromEnv = (variable: string) => {
    const raw = env[variable];
    if (raw === undefined) return;
    const unclean = checkEnvText(raw);
    const parsed = unclean === undefined ? def.parseEnv(raw) : INVALID;
    if (parsed === INVALID) {
      const hint = unclean ?? (def.envForm && `Write it as ${def.envForm}`);
      throw new ConfigInvalidError({
        setting: variable,
        value: raw,
        expected: def.expected,
        ...(hint ? { hint } : {}),
      });
    }
    value = parsed;
    source = { kind: 'env', variable };
  };

  fromEnv(variableName(DEFAULT_SCOPE, def.env));
  const code = readCode(def, options);
  if (code !== undefined) {
    const option = def.path.join('.');
    const isObjectValue = def.acceptsObject && typeof code === 'object' && !Array.isArray(code);
    if (!isObjectValue && !def.schema.safeParse(code).success) {
      throw new ConfigInvalidError({
        setting: `${service}: option ${option}`,
        value: Array.isArray(code) ? JSON.stringify(code) : code,
        expected: def.expected,
      });
    }
    value = code;
    source = { kind: 'code', option };
  }
  fromEnv(variableName(scope, def.env));
  return { def, value, source };
}

/** The code value at the setting's path; for a section switch, `false` or `true` if given. */
function readCode(def: SettingDef, options: ClientOptions): unknown {
  let node: unknown = options;
  for (let i = 0; i < def.path.length; i++) {
    const key = def.path[i]!;
    node = (node as Record<string, unknown>)[key];
    if (node === undefined) return undefined;
    const isSwitch = def.section !== undefined && def.path.length === 1;
    if (i === 0 && isSwitch) return node !== false;
    if (i === 0 && def.section !== undefined && node === false) return undefined;
  }
  return node;
}

function checkCodeShape(options: ClientOptions, extraKeys: readonly string[]): void {
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

/**
 * Catches operators' typos. A near miss inside this service's scope or the DEFAULT scope can
 * only have been meant for us, so it is fatal like a bad value. A near miss of the service
 * part could be another service's variable, so it is only a warning.
 */
function scanEnvNames(env: Readonly<Record<string, string | undefined>>, scope: string): string[] {
  const warnings: string[] = [];
  const known = [...SETTINGS_BY_ENV.keys()];
  for (const name of Object.keys(env)) {
    if (!name.startsWith(ENV_PREFIX)) continue;
    const rest = name.slice(ENV_PREFIX.length);
    for (const owner of [DEFAULT_SCOPE, scope]) {
      if (!rest.startsWith(`${owner}_`)) continue;
      const setting = rest.slice(owner.length + 1);
      if (SETTINGS_BY_ENV.has(setting)) continue;
      // Another service whose name extends ours (`payments-api` seen from `payments`).
      if (known.some((k) => setting.endsWith(`_${k}`))) continue;
      const guess = closest(setting, known);
      if (guess) {
        throw new ConfigInvalidError({
          setting: name,
          value: env[name],
          expected: 'a known setting name',
          hint: `Did you mean ${variableName(owner, guess)}? Every variable is listed in the README`,
        });
      }
    }
    for (const setting of known) {
      if (!rest.endsWith(`_${setting}`)) continue;
      const owner = rest.slice(0, rest.length - setting.length - 1);
      if (owner === scope || owner === DEFAULT_SCOPE || owner.startsWith(`${scope}_`)) continue;
      if (closest(owner, [scope]) === scope) {
        warnings.push(
          `${name} looks like a typo of ${variableName(scope, setting)}; it was not applied`,
        );
      }
    }
  }
  return warnings;
}

function buildEffective(
  service: string,
  settings: readonly ResolvedSetting[],
  byEnv: ReadonlyMap<string, ResolvedSetting>,
): EffectiveConfig {
  const root: Record<string, unknown> = { service };
  const enabled = new Map<SectionName, boolean>();
  for (const s of settings) {
    if (s.def.section === undefined || s.def.path.length !== 1) continue;
    const section = s.def.section;
    // An off-by-default section is switched on by configuring any of its settings.
    const configured = settings.some(
      (o) => o.def.section === section && o.def.path.length > 1 && o.source.kind !== 'default',
    );
    enabled.set(
      section,
      s.source.kind === 'default' ? Boolean(s.value) || configured : Boolean(s.value),
    );
  }
  for (const s of settings) {
    const [head, ...rest] = s.def.path;
    if (s.def.section !== undefined) {
      if (!enabled.get(s.def.section)) {
        root[head!] = false;
        continue;
      }
      if (rest.length === 0) {
        root[head!] ??= {};
        continue;
      }
    }
    let node = root;
    const path = [head!, ...rest];
    for (let i = 0; i < path.length - 1; i++) node = childObject(node, path[i]!);
    node[path[path.length - 1]!] = s.value;
  }
  crossCheck(root, byEnv);
  if (root.balancer === undefined) root.balancer = 'p2c-ewma';
  return deepFreeze(root) as unknown as EffectiveConfig;
}

function crossCheck(
  root: Record<string, unknown>,
  byEnv: ReadonlyMap<string, ResolvedSetting>,
): void {
  const where = (env: string) => {
    const s = byEnv.get(env)!;
    return s.source.kind === 'env'
      ? s.source.variable
      : s.source.kind === 'code'
        ? `option ${s.source.option}`
        : `${env} (default)`;
  };
  const rate = root.rateLimit as { perSecond?: number; burst?: number } | false;
  if (rate) {
    if (rate.perSecond === undefined) {
      throw new ConfigInvalidError({
        setting: where('RATE_LIMIT_PER_SECOND'),
        value: 'unset',
        expected: 'a rate (rateLimit.perSecond or RATE_LIMIT_PER_SECOND) when rate limiting is on',
      });
    }
    rate.burst ??= rate.perSecond;
  }
  const retry = root.retry as { backoff: { baseMs: number; maxMs: number } } | false;
  if (retry && retry.backoff.maxMs < retry.backoff.baseMs) {
    throw new ConfigInvalidError({
      setting: where('RETRY_BACKOFF_MAX_MS'),
      value: retry.backoff.maxMs,
      expected: `at least the base backoff (${retry.backoff.baseMs} ms, from ${where('RETRY_BACKOFF_BASE_MS')})`,
    });
  }
  const outlier = root.outlierDetection as
    | { baseEjectionMs: number; maxEjectionMs: number }
    | false;
  if (outlier && outlier.maxEjectionMs < outlier.baseEjectionMs) {
    throw new ConfigInvalidError({
      setting: where('OUTLIER_MAX_EJECTION_MS'),
      value: outlier.maxEjectionMs,
      expected: `at least the base ejection time (${outlier.baseEjectionMs} ms, from ${where('OUTLIER_BASE_EJECTION_MS')})`,
    });
  }
}

function childObject(node: Record<string, unknown>, key: string): Record<string, unknown> {
  if (node[key] === undefined) node[key] = {};
  return node[key] as Record<string, unknown>;
}

function deepFreeze<T>(value: T): T {
  if (
    typeof value === 'object' &&
    value !== null &&
    !Object.isFrozen(value) &&
    Object.getPrototypeOf(value) === Object.prototype
  ) {
    for (const child of Object.values(value)) deepFreeze(child);
    Object.freeze(value);
  }
  return value;
}

export function formatSource(source: SettingSource): string {
  switch (source.kind) {
    case 'default':
      return 'default';
    case 'env':
      return `env ${source.variable}`;
    case 'code':
      return `code ${source.option}`;
  }
}

function describeSettings(config: EffectiveConfig, settings: readonly ResolvedSetting[]): string {
  const lines: string[] = [];
  for (const s of settings) {
    const section = s.def.section;
    const off =
      section !== undefined && (config as unknown as Record<string, unknown>)[section] === false;
    if (off && s.def.path.length > 1) continue;
    const name = s.def.path.join('.');
    let shown: string;
    if (section !== undefined && s.def.path.length === 1) shown = off ? 'off' : 'on';
    else if (s.value === undefined) shown = '(unset)';
    else if (typeof s.value === 'object' && s.value !== null && !Array.isArray(s.value))
      shown = `(${s.value.constructor?.name ?? 'object'})`;
    else shown = s.def.format(s.value as never);
    lines.push(`${name.padEnd(38)} ${shown.padEnd(22)} ${formatSource(s.source)}`);
  }
  return lines.join('\n');
}
