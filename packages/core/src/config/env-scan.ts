import { ConfigInvalidError } from '../errors/errors.js';
import { DEFAULT_SCOPE, ENV_PREFIX, variableName } from './env.js';
import { SETTINGS_BY_ENV } from './settings.js';
import { closest } from './typo.js';

/**
 * Catches operators' typos. A near miss inside this service's scope or the DEFAULT scope can
 * only have been meant for us, so it is fatal like a bad value. A near miss of the service
 * part could be another service's variable, so it is only a warning.
 */
export function scanEnvNames(
  env: Readonly<Record<string, string | undefined>>,
  scope: string,
): string[] {
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
