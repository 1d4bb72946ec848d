import { ProxyTracerProvider, type TracerProvider } from '@opentelemetry/api';

/** What the global provider delegates to while no SDK is registered. */
const NO_SDK = new ProxyTracerProvider().getDelegate();
const ALWAYS = (): boolean => true;

/**
 * Whether spans from `provider` may record: false while it is the global provider with no SDK
 * behind it, so a call skips the span the no-op tracer would make and drop (~280 B and a few
 * context lookups per call). Asked per call, so an SDK registered later is seen at once; any
 * other provider is always asked for its span.
 */
export function tracingProbe(provider: TracerProvider): () => boolean {
  if (provider instanceof ProxyTracerProvider) return () => provider.getDelegate() !== NO_SDK;
  return ALWAYS;
}
