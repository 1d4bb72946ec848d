import './events.js';

export { EndpointBroadcast } from './broadcast.js';
export type { Discovery, DiscoveryListener } from './discovery.js';
export { type DnsDiscoveryOptions, dnsDiscovery } from './dns-discovery.js';
export type { AddressFamily } from './dns-query.js';
export type { DnsAddress, DnsResolver, DnsSrvRecord } from './dns-resolver.js';
export { type Endpoint, type EndpointInit, endpoint, parseHostPort } from './endpoint.js';
export { checkEndpoints, type EndpointSpec } from './endpoint-list.js';
export {
  type StaticDiscovery,
  type StaticDiscoveryOptions,
  staticDiscovery,
} from './static-discovery.js';
