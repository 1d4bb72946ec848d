export type { Discovery, DiscoveryListener } from './discovery.js';
export { type Endpoint, type EndpointInit, endpoint, parseHostPort } from './endpoint.js';
