import './events.js';

export { AliasTable } from './alias.js';
export { Backend } from './backend.js';
export { type Balancer, isExcluded, type Picker, type PickRequest } from './balancer.js';
export { balancerByName } from './by-name.js';
export { hashString } from './hash.js';
export { type MaglevOptions, maglev } from './maglev.js';
export type { LoadBalancerOptions } from './options.js';
export { type P2cEwmaOptions, p2cEwma, p2cLeastRequest } from './p2c.js';
export { PeakEwma } from './peak-ewma.js';
export { type LoadBalancerPolicy, loadBalancer } from './policy.js';
export { type Random, seededRandom } from './random.js';
export { randomBalancer } from './random-balancer.js';
export { type RingHashOptions, ringHash } from './ring-hash.js';
export { roundRobin } from './round-robin.js';
export type { EndpointStatus, LoadBalancerSnapshot } from './snapshot.js';
