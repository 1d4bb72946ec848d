export {
  AUTHZ_METRIC,
  type AuthorizationOptionsBase,
  type AuthorizationRuleBase,
  Authorizer,
} from './authorizer.js';
export type { AuthzDecisionEvent } from './events.js';
export { peerIdentities } from './identity.js';
