/**
 * `npm run example -- canary`: a traffic split by endpoint metadata. Instances carry a `version`;
 * a route sends 90% of calls to v1 and 10% to the v2 canary, and requests with the header
 * `x-canary: always` all to v2. `setRoutes()` then shifts the split at run time, as a rollout
 * would, without dropping calls in flight.
 */
import { staticDiscovery } from '@outrigger/core';
import { createHttpClient } from '@outrigger/http';
import { listen, named, tally } from './support/local-servers.js';

const v1 = await listen(named('v1'));
const v2 = await listen(named('v2'));
const endpoint = (address: string, version: string) => {
  const [host, port] = address.split(':');
  return { host: host!, port: Number(port), metadata: { version } };
};

const checkout = createHttpClient({
  service: 'checkout',
  discovery: staticDiscovery([endpoint(v1.address, 'v1'), endpoint(v2.address, 'v2')]),
  routes: [
    {
      name: 'pinned',
      match: { headers: { 'x-canary': { exact: 'always' } } },
      split: [{ subset: { version: 'v2' }, weight: 100 }],
    },
    {
      name: 'rollout',
      split: [
        { subset: { version: 'v1' }, weight: 90 },
        { subset: { version: 'v2' }, weight: 10 },
      ],
    },
  ],
});

async function sample(calls: number, headers?: Record<string, string>) {
  const answers: string[] = [];
  for (let i = 0; i < calls; i++) {
    const res = await checkout.request('/cart', headers ? { headers } : {});
    answers.push(await res.body.text());
  }
  return tally(answers);
}

console.log('90/10 split, 500 calls:     ', await sample(500));
console.log('x-canary: always, 20 calls: ', await sample(20, { 'x-canary': 'always' }));
checkout.setRoutes([
  {
    name: 'rollout',
    split: [
      { subset: { version: 'v1' }, weight: 50 },
      { subset: { version: 'v2' }, weight: 50 },
    ],
  },
]);
console.log('after setRoutes 50/50:      ', await sample(500));

await checkout.close();
await Promise.all([v1.close(), v2.close()]);
