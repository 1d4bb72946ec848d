/**
 * What environment text is accepted, before and while a setting parses it. Strict, so that a
 * typo never reads as a neighbouring value (`1e3`, `-0`, `yes please`).
 */

const INVALID: unique symbol = Symbol('invalid');
export type Invalid = typeof INVALID;
export { INVALID };

/**
 * Why an environment value is refused before any setting parses it: surrounding whitespace or
 * a control character (a CR from a Windows-edited .env file, a NUL) means the value is not what
 * the operator sees, so it is an error, not something to trim. Undefined when the text is clean.
 */
export function checkEnvText(raw: string): string | undefined {
  // biome-ignore lint/suspicious/noControlCharactersInRegex: finding them is the point
  if (/[\u0000-\u001f\u007f]/.test(raw)) return 'It contains a control character; remove it';
  if (raw.trim() !== raw) return 'It has spaces around it; remove them';
  return undefined;
}

/** Environment numbers are written plainly: no sign, exponent, spaces, or trailing point. */
const INTEGER = /^\d+$/;
const DECIMAL = /^\d+(?:\.\d+)?$/;

export function isPlainNumber(raw: string, integer: boolean): boolean {
  return (integer ? INTEGER : DECIMAL).test(raw);
}

const ON = new Set(['on', 'true', '1', 'yes']);
const OFF = new Set(['off', 'false', '0', 'no']);

/** A switch in any of the usual spellings, case-insensitive. */
export function parseOnOff(raw: string): boolean | Invalid {
  const text = raw.toLowerCase();
  if (ON.has(text)) return true;
  if (OFF.has(text)) return false;
  return INVALID;
}
