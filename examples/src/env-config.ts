/**
 * `npm run example -- env-config`: a client whose settings come from the environment only, as an
 * operator tunes a deployed service without a code change. The code names the service and
 * nothing else; `OUTRIGGER_<SERVICE>_*` variables set the endpoints and the policies, and
 * `describe()` says where every value came from. Variables already set win over the ones this
 * example sets for itself.
 */
import { createHttpClient } from '@outrigger/http';
import { listen, named } from './support/local-servers.js';

const backend = await listen(named('inventory'));
const defaults: Record<string, string> = {
  OUTRIGGER_INVENTORY_ENDPOINTS: backend.address,
  OUTRIGGER_INVENTORY_TIMEOUT_MS: '800',
  OUTRIGGER_INVENTORY_RETRY_MAX_ATTEMPTS: '2',
  OUTRIGGER_INVENTORY_BREAKER_ERROR_THRESHOLD_PERCENT: '30',
};
const env = { ...defaults, ...process.env };

const inventory = createHttpClient({ service: 'inventory', env });
const res = await inventory.request('/stock/7');
console.log(res.statusCode, await res.body.text());
console.log(inventory.describe());

await inventory.close();
await backend.close();
