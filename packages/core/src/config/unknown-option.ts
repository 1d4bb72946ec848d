import { ConfigInvalidError } from '../errors/errors.js';
import { nearestName } from './typo.js';

/**
 * The error for an option key nobody knows: it names the key, the nearest valid one and every
 * valid one (`timeout.totalMS is not an option of timeout; did you mean totalMs? (valid:
 * totalMs, perTryMs)`). A `<key>=<value> is not valid` form would mislead here: any value is
 * fine under the right name. `owner` is the section the key was found in (`timeout`), or
 * undefined at the top level; `prefix` starts the message (`payments: `); `suggest` may turn
 * the guessed name into a fuller valid form, such as a section written out with the value given.
 */
export function unknownOptionError(details: {
  path: string;
  value: unknown;
  valid: readonly string[];
  owner?: string | undefined;
  prefix?: string | undefined;
  noun?: string | undefined;
  /** The error's `setting`; `option <path>` unless given. */
  setting?: string | undefined;
  suggest?: ((guess: string) => string | undefined) | undefined;
}): ConfigInvalidError {
  const key = details.path.slice(details.path.lastIndexOf('.') + 1);
  const guess = nearestName(key, details.valid);
  const where = details.owner
    ? `an option of ${details.owner}`
    : `a ${details.noun ?? 'client'} option`;
  const fuller = guess === undefined ? undefined : details.suggest?.(guess);
  const mean = guess === undefined ? '' : `; did you mean ${guess}?`;
  const write = fuller ? `. Write ${fuller}` : '';
  return new ConfigInvalidError({
    setting: details.setting ?? `option ${details.path}`,
    value: details.value,
    expected: `one of ${details.valid.join(', ')}`,
    message:
      `${details.prefix ?? ''}${details.path} is not ${where}${mean} ` +
      `(valid: ${details.valid.join(', ')})${write}`,
  });
}
