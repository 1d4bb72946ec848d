import { createHttpClient } from '@outrigger/http';

// One client per downstream service, created at start-up.
const payments = createHttpClient({
  service: 'payments',
  discovery: ['127.0.0.1:8081', '127.0.0.1:8082'], // or dnsDiscovery(...), consulDiscovery(...)
  timeout: { totalMs: 2_000, perTryMs: 500 }, // absolute deadlines, only ever shrinking
  retry: { maxAttempts: 3, budget: { ratio: 0.2 } }, // retries add at most 20% load
  breaker: { errorThresholdPercent: 50 }, // fail fast while the service is down
});

const res = await payments.fetch('/charges/42'); // a WHATWG Response, after P2C-EWMA picked
console.log(res.status, await res.text()); //       an endpoint and the policies ran
console.log(payments.describe()); // the chain and every setting, with where it came from
await payments.close(); // frees every socket, timer and watch
