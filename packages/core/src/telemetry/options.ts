import { onOff, type SettingDef } from '../config/setting.js';

/**
 * Telemetry is on by default and costs only the API's no-op objects until an application
 * registers an OpenTelemetry SDK (decision 0050): `telemetry: false` or
 * `OUTRIGGER_<SERVICE>_TELEMETRY=off` removes it from the chain altogether.
 */
export const TELEMETRY_SETTINGS: readonly SettingDef[] = [
  onOff(
    {
      env: 'TELEMETRY',
      path: ['telemetry'],
      doc: 'OpenTelemetry spans for every call and attempt, through @opentelemetry/api (near-free without an SDK).',
    },
    true,
  ),
  onOff(
    {
      env: 'TELEMETRY_ATTEMPT_SPANS',
      path: ['telemetry', 'attemptSpans'],
      doc: 'A child span per attempt (retries, requeues, hedges) under the call span.',
    },
    true,
  ),
  onOff(
    {
      env: 'TELEMETRY_ENDPOINT_METRICS',
      path: ['telemetry', 'endpointMetrics'],
      doc: 'Per-endpoint metric series (in flight, EWMA latency, ejections): one series per endpoint.',
    },
    false,
  ),
];
