import { CallContext, type CallInit } from '../context/call-context.js';
import { directOf, withDirect } from './direct.js';
import { type GuardPolicy, guardLayer, isGuardPolicy } from './guard.js';
import {
  type EntryService,
  honoursCancellation,
  isCancellationHonoured,
  keepsCancellation,
  type Policy,
  type Service,
} from './service.js';

export interface Pipeline extends Policy {
  <Req, Res>(service: Service<Req, Res>): EntryService<Req, Res>;
  /** The policies, outermost first (nested pipelines flattened). */
  readonly policies: readonly Policy[];
  describe(): string[];
}

/**
 * Composes policies, outermost first: `pipeline(a, b, c)(svc)` is `a(b(c(svc)))`.
 *
 * The returned service accepts a full `CallContext` (when it is itself inside another
 * pipeline) or, at the outermost call, nothing or a `CallInit` such as `{ signal }`, from
 * which it derives the root context. A pipeline is itself a policy, so pipelines nest.
 */
export function pipeline(...policies: Policy[]): Pipeline {
  const flat: Policy[] = [];
  for (const policy of policies) {
    if (typeof policy !== 'function') {
      throw new TypeError(`pipeline() takes policies (functions), got ${String(policy)}`);
    }
    const nested = (policy as Partial<Pipeline>).policies;
    if (nested) flat.push(...nested);
    else flat.push(policy);
  }

  const apply = <Req, Res>(service: Service<Req, Res>): EntryService<Req, Res> => {
    let inner = service;
    for (let i = flat.length - 1; i >= 0; ) {
      const policy = flat[i]!;
      if (!isGuardPolicy(policy)) {
        const honoured = isCancellationHonoured(inner);
        inner = policy(inner);
        if (honoured && keepsCancellation(policy)) honoursCancellation(inner);
        i--;
        continue;
      }
      // Adjacent guards run as one layer: one frame per attempt instead of one each.
      let first = i;
      while (first > 0 && isGuardPolicy(flat[first - 1]!)) first--;
      const run = (flat.slice(first, i + 1) as GuardPolicy[]).map((p) => p.guard);
      inner = guardLayer(run, inner);
      i = first - 1;
    }
    const composed = inner;
    const direct = directOf(composed);
    const entry = (req: Req, ctx?: CallContext | CallInit): Promise<Res> => {
      if (ctx instanceof CallContext) return composed(req, ctx);
      const root = CallContext.entry(ctx);
      if (!ctx?.signal) return composed(req, root);
      // The caller's signal got one listener from us; take it off when the call settles.
      return composed(req, root).finally(() => root.cancellation.dispose());
    };
    // The direct form, for a caller that brings its own context and settler (a client facade).
    withDirect<typeof entry, Req, Res>(entry, direct);
    return isCancellationHonoured(composed) ? honoursCancellation(entry) : entry;
  };

  return Object.assign(apply, {
    policyName: 'pipeline',
    policies: flat as readonly Policy[],
    describe: () => flat.map((p) => p.policyName ?? (p.name || 'anonymous policy')),
  }) as Pipeline;
}
