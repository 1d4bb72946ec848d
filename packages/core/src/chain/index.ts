export { buildChain, type Chain, type ChainParts } from './build.js';
export type {
  BalancerSnapshot,
  BreakerSnapshot,
  BudgetSnapshot,
  BulkheadSnapshot,
  ClientSnapshot,
  EndpointSnapshot,
  RateLimitSnapshot,
} from './client-snapshot.js';
export {
  type ChainPosition,
  DEFAULT_CHAIN,
  describeChain,
  describeClient,
} from './default-chain.js';
