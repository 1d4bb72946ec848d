import { ProxyTracerProvider, type Tracer, type TracerProvider } from '@opentelemetry/api';
import { describe, expect, it } from 'vitest';
import { tracingProbe } from './tracing-probe.js';

const sdk: TracerProvider = { getTracer: () => ({}) as Tracer };

describe('tracingProbe', () => {
  it('is false while the global-style proxy has no SDK behind it, and true from its registration on', () => {
    const proxy = new ProxyTracerProvider();
    const tracing = tracingProbe(proxy);
    expect(tracing()).toBe(false);
    proxy.setDelegate(sdk);
    expect(tracing()).toBe(true);
  });

  it('is always true for a provider given directly', () => {
    expect(tracingProbe(sdk)()).toBe(true);
  });
});
