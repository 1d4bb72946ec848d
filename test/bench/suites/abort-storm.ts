/**
 * An abort storm (decision 0042): what a storm of caller aborts costs in
 * connects, file descriptors and heap, for plain undici beside Outrigger's `request` and `fetch`,
 * in one process. The measuring is `tools/abort-storm.ts`, which also runs on its own.
 */
import type { BenchSuite } from '../lib/suite.js';
import { abortStorm, ISSUE_SCENARIO, stormTable } from '../tools/abort-storm.js';

const suite: BenchSuite = {
  name: 'abort-storm',
  title: 'Abort storm: connects, fds and heap under caller aborts',
  async run() {
    const { calls, concurrency, abortMs } = ISSUE_SCENARIO;
    const figures = await abortStorm(ISSUE_SCENARIO);
    return `## Abort storm

${calls.toLocaleString('en')} GETs from ${concurrency} callers, each aborted by its caller at a random
0–${abortMs} ms, against a \`node:http\` server in the same process that answers after a random 0–6 ms
(the same seeded abort times for every variant, one after another).
Connections opened: accepted by the server during the storm. Peak pending connects: TCP connects
in progress at once on the client (undici's \`beforeConnect\` minus \`connected\` and
\`connectError\` diagnostics). Peak open fds: /proc/self/fd, both ends of each connection once
accepted. Heap: \`heapUsed\` after a full gc once every call settled (client still open) minus the
same before. Before decision 0042 Outrigger reached ~7,900 pending connects, as many fds and
+70 MB.

${stormTable(figures)}
`;
  },
};

export default suite;
