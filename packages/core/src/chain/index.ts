export { buildChain, type Chain, type ChainParts } from './build.js';
export {
  type ChainPosition,
  DEFAULT_CHAIN,
  describeChain,
  describeClient,
} from './default-chain.js';
