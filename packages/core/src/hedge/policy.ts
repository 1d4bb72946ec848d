import { RetryBudget } from '../budget/retry-budget.js';
import { type Classifier, defaultClassifier } from '../classify/classifier.js';
import { CALL_OPTIONS } from '../context/call-options.js';
import { namedPolicy, type Policy, type Service } from '../service/service.js';
import { HedgedCall, type HedgeSettings } from './hedged-call.js';
import { LatencyHistogram } from './latency-histogram.js';
import { checkHedgeOptions, type HedgePolicyOptions } from './options.js';

/**
 * Hedged requests (Dean & Barroso, "The Tail at Scale"): for idempotent calls, if no answer has
 * come after a delay (fixed, or a percentile of recent latency), send one more attempt to
 * another endpoint and take the first good answer, cancelling the rest. Every hedge draws on the
 * client's shared retry budget, so hedges and retries together cannot multiply load.
 */
export function hedge(
  options: HedgePolicyOptions = {},
): Policy & { readonly latency: LatencyHistogram | undefined } {
  const checked = checkHedgeOptions(options);
  const classifier = (options.classifier ?? defaultClassifier) as Classifier<unknown>;
  let histogram: LatencyHistogram | undefined;
  let budget = options.budget;
  const deposit = options.deposit ?? true;

  const policy = namedPolicy(
    'hedge',
    <Req, Res>(next: Service<Req, Res>): Service<Req, Res> => {
      let settings: HedgeSettings<Req, Res> | undefined;
      return (req, ctx) => {
        const clock = options.clock ?? ctx.clock;
        histogram ??= new LatencyHistogram(clock, 10_000, options.minSamples ?? 20);
        budget ??= new RetryBudget({ clock });
        if (deposit) budget.deposit();
        if (!ctx.idempotent || ctx.get(CALL_OPTIONS)?.retry === false) return next(req, ctx);
        const delay = checked.delayMs ?? histogram.percentile(checked.percentile);
        const h = histogram;
        if (delay === undefined) {
          // Not enough history yet: send once and learn from it.
          const started = clock.now();
          return next(req, ctx).then((value) => {
            if (classifier.classifyResult(value, ctx) === 'success')
              h.record(clock.now() - started);
            return value;
          });
        }
        settings ??= {
          next,
          classifier: classifier as Classifier<Res>,
          budget,
          clock,
          events: options.events,
          maxAttempts: checked.maxAttempts,
          onWin: (ms: number) => h.record(ms),
        };
        const s = settings;
        return new Promise<Res>((resolve, reject) => {
          new HedgedCall(s, req, ctx, delay, resolve, reject);
        });
      };
    },
    { keepsCancellation: true },
  );
  return Object.defineProperty(policy, 'latency', { get: () => histogram }) as Policy & {
    readonly latency: LatencyHistogram | undefined;
  };
}
