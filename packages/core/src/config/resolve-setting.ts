import { ConfigInvalidError } from '../errors/errors.js';
import { DEFAULT_SCOPE, variableName } from './env.js';
import { checkEnvText, INVALID } from './env-text.js';
import type { ClientOptions } from './options.js';
import type { SettingDef } from './setting.js';
import { SETTINGS } from './settings.js';

export type SettingSource =
  | { readonly kind: 'default' }
  | { readonly kind: 'env'; readonly variable: string }
  | { readonly kind: 'code'; readonly option: string };

export interface ResolvedSetting {
  readonly def: SettingDef;
  readonly value: unknown;
  readonly source: SettingSource;
}

/**
 * One setting's value and where it came from, by precedence (lowest first): built-in default <
 * `OUTRIGGER_DEFAULT_*` < code < `OUTRIGGER_<SERVICE>_*`. Each later source that is present
 * replaces the value; a present but invalid one throws rather than falling back.
 */
export function resolveSetting(
  def: SettingDef,
  options: ClientOptions,
  env: Readonly<Record<string, string | undefined>>,
  scope: string,
  service: string,
): ResolvedSetting {
  let value: unknown = def.default;
  let source: SettingSource = { kind: 'default' };

  const fromEnv = (variable: string) => {
    const raw: unknown = env[variable];
    if (raw === undefined) return;
    // An env object from code may hold a number or null where process.env only holds text.
    const unclean = typeof raw === 'string' ? checkEnvText(raw) : 'It is not a string';
    const parsed = unclean === undefined ? def.parseEnv(raw as string) : INVALID;
    if (parsed === INVALID) {
      const hint =
        unclean ??
        def.hint?.(raw, 'env') ??
        switchHint(def, variable, raw) ??
        (def.envForm && `Write it as ${def.envForm}`);
      throw new ConfigInvalidError({
        setting: variable,
        value: typeof raw === 'object' && raw !== null ? '(an object)' : raw,
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
    const isObjectValue =
      def.acceptsObject && typeof code === 'object' && code !== null && !Array.isArray(code);
    if (!isObjectValue && !def.schema.safeParse(code).success) {
      const hint = def.hint?.(code, 'code');
      throw new ConfigInvalidError({
        setting: `${service}: option ${option}`,
        value: Array.isArray(code) ? listText(code) : code,
        expected: def.expected,
        ...(hint ? { hint } : {}),
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

/** An array as JSON for the message; one JSON cannot show (a BigInt, a cycle) as a list. */
function listText(list: unknown[]): string {
  try {
    return JSON.stringify(list);
  } catch {
    return `[${list.map((item) => typeof item).join(', ')}]`;
  }
}

/**
 * A section's on/off variable given a number (`..._TIMEOUT=2000`) was meant for the section's
 * main setting, the first it declares: name that variable, in the same scope.
 */
function switchHint(def: SettingDef, variable: string, raw: unknown): string | undefined {
  if (def.path.length !== 1 || def.section === undefined) return undefined;
  if (typeof raw !== 'string' || !/^\d+(?:\.\d+)?$/.test(raw)) return undefined;
  const main = SETTINGS.find((d) => d.path.length === 2 && d.path[0] === def.path[0]);
  if (main === undefined || !variable.endsWith(def.env)) return undefined;
  return `${def.env} switches ${def.path[0]} on or off; for its value set ${variable.slice(0, -def.env.length)}${main.env}=${raw}`;
}
