export type { ConsulAgentOptions, ConsulTlsOptions } from './agent-options.js';
export { backoffDelay, nextIndex } from './blocking-query.js';
export { consulDiscovery } from './consul-discovery.js';
export { ConsulError, type ConsulErrorKind } from './consul-error.js';
export type { ConsulDiscoveryOptions } from './discovery-options.js';
export {
  aggregateStatus,
  type ConsulCheckStatus,
  type ConsulHealthEntry,
  endpointsFromHealth,
} from './health-entries.js';
export {
  type ConsulRoutesOptions,
  type ConsulRoutesWatch,
  type RoutesTarget,
  watchConsulRoutes,
} from './kv-routes.js';
export { type ConsulRegistration, registerWithConsul } from './registration.js';
export type {
  ConsulCheck,
  ConsulGrpcCheck,
  ConsulHttpCheck,
  ConsulRegistrationOptions,
  ConsulTtlCheck,
} from './registration-options.js';
export { parseRoutesValue } from './routes-value.js';
