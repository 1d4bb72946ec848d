import './events.js';

export { type FaultSpec, type ResolvedFault, resolveFault } from './options.js';
export { type FaultPolicyOptions, fault } from './policy.js';
