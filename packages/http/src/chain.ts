import { buildChain, type Chain, type Classifier, type Service } from '@outrigger/core';
import type { HttpAttempt } from './attempt.js';
import type { HttpClientOptions } from './options.js';
import { HTTP_OPTION_KEYS } from './options.js';
import type { OutboundRequest } from './outbound.js';
import { httpTelemetry } from './telemetry.js';

export type HttpChain = Chain<OutboundRequest, HttpAttempt>;

/** The default chain around the HTTP transport; the pools follow `chain.discovery`. */
export function createHttpChain(
  options: HttpClientOptions,
  transport: Service<OutboundRequest, HttpAttempt>,
  classifier: Classifier<HttpAttempt>,
): HttpChain {
  return buildChain<OutboundRequest, HttpAttempt>({
    options,
    extraKeys: HTTP_OPTION_KEYS,
    transport,
    classifier,
    telemetry: httpTelemetry(
      options !== null && typeof options === 'object' && Boolean(options.tls),
    ),
  });
}
