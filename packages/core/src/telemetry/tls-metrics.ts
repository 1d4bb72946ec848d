import type { Meter, ObservableResult } from '@opentelemetry/api';
import type { EventBus } from '../events/events.js';
import { serviceTagger } from './event-metrics.js';
import type { LiveState } from './state-gauges.js';

/**
 * Certificate files from `tls` (`certFile`, `caFile`), as metrics an operator can alert on:
 * reloads and refused reloads by outcome, and the seconds left before the client certificate in
 * use expires (negative once it has), read at collection from the last pair taken. Fed by the
 * transports' `tls.reloaded` (the files read at start included) and `tls.rejected` events; the
 * gauge is removed when the client closes.
 */
export function observeTls(meter: Meter, service: string, events: EventBus, live: LiveState): void {
  const tagged = serviceTagger(service);
  const reloads = meter.createCounter('outrigger.client.tls.reloads', {
    description:
      'Changed certificate files taken (reloaded) or refused (rejected, the last good pair stays).',
    unit: '{reload}',
  });
  let notAfter: number | undefined;
  events.on('tls.reloaded', (e) => {
    notAfter = e.notAfter;
    if (!e.initial) reloads.add(1, tagged({ 'outrigger.tls.outcome': 'reloaded' }));
  });
  events.on('tls.rejected', () => reloads.add(1, tagged({ 'outrigger.tls.outcome': 'rejected' })));

  const expiry = meter.createObservableGauge('outrigger.client.tls.certificate.expiry', {
    description: 'Seconds until the client certificate in use expires (negative once it has).',
    unit: 's',
  });
  const observe = (result: ObservableResult): void => {
    if (notAfter !== undefined) result.observe((notAfter - Date.now()) / 1_000, tagged());
  };
  expiry.addCallback(observe);
  live.onClose(() => expiry.removeCallback(observe));
}
