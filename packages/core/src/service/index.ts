export {
  type DirectService,
  directOf,
  directService,
  type PromiseHolder,
  promiseFor,
  promiseOf,
  type Settler,
} from './direct.js';
export {
  AttemptFrame,
  type Guard,
  type GuardPolicy,
  guardLayer,
  guardPolicy,
  isGuardPolicy,
  WAIT,
} from './guard.js';
export { classify, failedWith, type Outcome, succeeded, unwrap } from './outcome.js';
export { type Pipeline, pipeline } from './pipeline.js';
export {
  type EntryService,
  honoursCancellation,
  isCancellationHonoured,
  keepsCancellation,
  namedPolicy,
  type Policy,
  type PolicyTraits,
  type Service,
} from './service.js';
