import { AsyncLocalStorage } from 'node:async_hooks';

/**
 * What an inbound request brings that every outbound call made while handling it must honour:
 * its deadline (absolute, on the system clock's scale). Server helpers enter the scope; root
 * contexts read it, so the cap applies without threading anything through user code.
 */
export interface InboundScope {
  readonly deadline: number;
}

const storage = new AsyncLocalStorage<InboundScope>();

export function runWithInbound<T>(scope: InboundScope, fn: () => T): T {
  const outer = storage.getStore();
  // A nested scope can only shrink the deadline, never extend it.
  const effective =
    outer && outer.deadline < scope.deadline ? { ...scope, deadline: outer.deadline } : scope;
  return storage.run(effective, fn);
}

export function currentInbound(): InboundScope | undefined {
  return storage.getStore();
}
