import { ConfigInvalidError } from '../errors/errors.js';

export const ENV_PREFIX = 'OUTRIGGER_';
export const DEFAULT_SCOPE = 'DEFAULT';

/** `payments-api` → `PAYMENTS_API`: upper-cased, everything outside A–Z and 0–9 turned into `_`. */
export function serviceEnvKey(service: string): string {
  return service.toUpperCase().replace(/[^A-Z0-9]/g, '_');
}

export function checkServiceName(service: unknown): string {
  if (typeof service !== 'string' || service.trim().length === 0) {
    throw new ConfigInvalidError({
      setting: 'service',
      value: service,
      expected: 'a non-empty service name such as "payments"',
    });
  }
  if (serviceEnvKey(service) === DEFAULT_SCOPE) {
    throw new ConfigInvalidError({
      setting: 'service',
      value: service,
      expected: `a name other than "default": OUTRIGGER_DEFAULT_* variables apply to every service`,
    });
  }
  return service;
}

export function variableName(scope: string, setting: string): string {
  return `${ENV_PREFIX}${scope}_${setting}`;
}
