/**
 * `@outrigger/core/internal`: the mechanisms Outrigger's own protocol packages build on, for
 * speed on the hot path (docs/writing-a-policy.md, "What the built-ins do differently"). No
 * stability promise: a user's policy needs only `Service`, `Policy` and `CallContext` from
 * `@outrigger/core`, and composes with the built-ins without any of this.
 */

export { noEndpointPicked } from './balancer/missing-endpoint.js';
export { type BuildContext, POSITION_BUILDERS } from './chain/positions.js';
export { ATTEMPT_LOG, AttemptLog, newAttemptLog, settleAttemptLog } from './context/attempt-log.js';
export { CALL_OPTIONS, type CallOptions } from './context/call-options.js';
export { NEVER_CANCELLED } from './context/cancellation.js';
export {
  type DirectService,
  directOf,
  directService,
  type PromiseHolder,
  promiseFor,
  promiseOf,
  type Settler,
  withDirect,
} from './service/direct.js';
export {
  AttemptFrame,
  type Guard,
  type GuardPolicy,
  guardLayer,
  guardPolicy,
  isGuardPolicy,
  WAIT,
} from './service/guard.js';
export { InFlight } from './service/in-flight.js';
export { classify, failedWith, type Outcome, succeeded, unwrap } from './service/outcome.js';
export {
  honoursCancellation,
  isCancellationHonoured,
  keepsCancellation,
  type PolicyTraits,
} from './service/service.js';
export type { ProtocolTelemetry } from './telemetry/protocol.js';
export { noteEndpoint, TRACE_CONTEXT, traceContextOf } from './telemetry/trace-context.js';
export { DeadlineScheduler, type Expirable, schedulerFor } from './timeout/deadline-scheduler.js';
