import { ConfigInvalidError } from '../errors/errors.js';
import { checkCodeShape } from './code-shape.js';
import { describeSettings } from './describe.js';
import { buildEffective } from './effective.js';
import { checkServiceName, serviceEnvKey } from './env.js';
import { scanEnvNames } from './env-scan.js';
import type { ClientOptions, EffectiveConfig } from './options.js';
import { type ResolvedSetting, resolveSetting, type SettingSource } from './resolve-setting.js';
import { SETTINGS } from './settings.js';

export { formatSource } from './describe.js';
export type { ResolvedSetting, SettingSource } from './resolve-setting.js';

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
  // Otherwise ignored without a word: no OUTRIGGER_* name is found in a string, a list or a Map.
  if (typeof env !== 'object' || Array.isArray(env) || env instanceof Map) {
    throw new ConfigInvalidError({
      setting: 'option env',
      value: env,
      expected: 'an object of environment variables, such as process.env',
    });
  }
  const scope = serviceEnvKey(service);
  checkCodeShape(options, resolve.extraKeys ?? [], service);
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
