import { describe, expect, it } from 'vitest';
import * as core from './index.js';
import * as internal from './internal.js';

describe('the package index (decision 0046)', () => {
  it('exports what a policy author and a client user need', () => {
    for (const name of [
      'pipeline',
      'CallContext',
      'contextKey',
      'abortError',
      'runWithInbound',
      'timeout',
      'retry',
      'hedge',
      'breaker',
      'bulkhead',
      'rateLimit',
      'fallback',
      'fault',
      'RetryBudget',
      'staticDiscovery',
      'dnsDiscovery',
      'loadBalancer',
      'OutriggerError',
      'ConfigInvalidError',
      'resolveConfig',
      'buildChain',
      'ManualClock',
    ]) {
      expect(core, name).toHaveProperty(name);
    }
  });

  it('exports no internal mechanism: those live in @outrigger/core/internal only', () => {
    const leaked = Object.keys(internal).filter((name) => name in core);
    expect(leaked).toEqual([]);
  });
});
