export {
  type ChainPosition,
  DEFAULT_CHAIN,
  describeChain,
  describeClient,
} from './default-chain.js';
