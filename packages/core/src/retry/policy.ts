import { RetryBudget } from '../budget/retry-budget.js';
import { type Classifier, defaultClassifier } from '../classify/classifier.js';
import { CALL_OPTIONS } from '../context/call-options.js';
import { directOf, directService } from '../service/direct.js';
import { namedPolicy, type Policy, type Service } from '../service/service.js';
import { checkRetryOptions, type RetryPolicyOptions } from './options.js';
import { RetryCall, type RetryRules } from './retry-call.js';

/**
 * Retries what the shared classifier calls retryable, for idempotent requests only, with
 * exponential backoff and jitter, honouring a server's delay hint up to a cap, never sleeping
 * past the deadline, and never beyond the retry budget. An attempt that provably never reached
 * a server (`unsent`) is requeued even for a non-idempotent request, still within the budget:
 * up to `maxRequeues` of them (default one pass over the endpoints) on top of `maxAttempts`,
 * at once while an untried endpoint is left, after a backoff otherwise; past the bound an
 * unsent attempt counts as an attempt (decision 0044). Each attempt goes to a different
 * endpoint where one exists (the attempt log tells the balancer what was tried).
 *
 * A retryable *result* (an HTTP 503) is returned as it is once retries are spent, so the caller
 * sees the last answer; a retryable *error* is rethrown, or wrapped in BUDGET_EXHAUSTED when the
 * budget refused the retry.
 */
export function retry(options: RetryPolicyOptions = {}): Policy {
  const checked = checkRetryOptions(options);
  const budget =
    options.budget instanceof RetryBudget
      ? options.budget
      : new RetryBudget({ ...options.budget, ...(options.clock ? { clock: options.clock } : {}) });
  const rules: RetryRules = {
    checked,
    budget,
    classifier: (options.classifier ?? defaultClassifier) as Classifier<unknown>,
    random: options.random ?? Math.random,
    events: options.events,
    clock: options.clock,
    endpointCount: options.endpointCount,
  };
  // Nothing to requeue into: one attempt needs no per-call state.
  const oneAttempt =
    checked.maxAttempts === 1 &&
    (checked.maxRequeues ?? (options.endpointCount === undefined ? 0 : 1)) === 0;

  return namedPolicy(
    'retry',
    <Req, Res>(next: Service<Req, Res>): Service<Req, Res> => {
      const inner = directOf(next);
      return directService<Req, Res>((req, ctx, settler) => {
        budget.deposit();
        if (oneAttempt || ctx.get(CALL_OPTIONS)?.retry === false) {
          inner(req, ctx.withAttempt(1), settler);
          return;
        }
        new RetryCall(rules, inner, req, ctx, settler).send();
      });
    },
    { keepsCancellation: true },
  );
}
