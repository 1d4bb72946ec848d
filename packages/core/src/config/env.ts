import { ConfigInvalidError } from '../errors/errors.js';

export const ENV_PREFIX = 'OUTRIGGER_';
export const DEFAULT_SCOPE = 'DEFAULT';

/** `payments-api` → `PAYMENTS_API`: upper-cased, everything outside A–Z and 0–9 turned into `_`. */
export function serviceEnvKey(service: string): string {
  return service.toUpperCase().replace(/[^A-Z0-9]/g, '_');
}

/**
 * A service name: 1 to 63 letters, digits, `.`, `-` or `_`, starting with a letter or digit.
 * That is a DNS label's length and a superset of Kubernetes, Consul and gRPC service names, and
 * it maps onto an environment scope without surprise (`payments-api` → `PAYMENTS_API`); a name
 * with `/`, spaces or control characters would be half-lost in that mapping, in metric labels
 * and in logs, so it is refused rather than mangled.
 */
export const SERVICE_NAME = /^[A-Za-z0-9][A-Za-z0-9._-]{0,62}$/;
const SERVICE_NAME_FORM =
  "1 to 63 letters, digits, '.', '-' or '_', starting with a letter or digit, such as \"payments-api\"";

export function checkServiceName(service: unknown): string {
  if (typeof service !== 'string' || !SERVICE_NAME.test(service)) {
    throw new ConfigInvalidError({
      setting: 'option service',
      value: service,
      expected: `a service name of ${SERVICE_NAME_FORM}`,
    });
  }
  if (serviceEnvKey(service) === DEFAULT_SCOPE) {
    throw new ConfigInvalidError({
      setting: 'option service',
      value: service,
      expected: `a name other than "default": OUTRIGGER_DEFAULT_* variables apply to every service`,
    });
  }
  return service;
}

export function variableName(scope: string, setting: string): string {
  return `${ENV_PREFIX}${scope}_${setting}`;
}
