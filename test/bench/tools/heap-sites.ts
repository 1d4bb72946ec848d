/**
 * Where the default chain's per-call heap goes: V8's sampling heap profiler (every allocated
 * object sampled at a small interval, young-generation garbage included) attributes bytes to
 * the allocating function. Run: node --expose-gc --import tsx bench/tools/heap-sites.ts
 */
import { Session } from 'node:inspector/promises';
import { buildChain } from '@outrigger/core';
import { honoursCancellation } from '@outrigger/core/internal';

const noop = async (_req?: unknown, _ctx?: unknown) => 1;
const chain = buildChain<unknown, number>({
  options: {
    service: 'bench',
    discovery: ['10.0.0.1:80', '10.0.0.2:80', '10.0.0.3:80', '10.0.0.4:80'],
    env: {},
  },
  transport: process.argv.includes('--racing') ? noop : honoursCancellation(noop),
});

interface Node {
  callFrame: { functionName: string; url: string; lineNumber: number };
  selfSize: number;
  children: Node[];
}

const calls = 200_000;
for (let i = 0; i < 50_000; i++) await chain.call(null);
const session = new Session();
session.connect();
await session.post('HeapProfiler.startSampling', {
  samplingInterval: 32,
  includeObjectsCollectedByMajorGC: true,
  includeObjectsCollectedByMinorGC: true,
});
for (let i = 0; i < calls; i++) await chain.call(null);
const { profile } = (await session.post('HeapProfiler.stopSampling')) as {
  profile: { head: Node };
};
const sites = new Map<string, number>();
const walk = (node: Node) => {
  const f = node.callFrame;
  const key = `${f.functionName || '(anonymous)'} ${f.url.split('/').slice(-2).join('/')}:${f.lineNumber + 1}`;
  sites.set(key, (sites.get(key) ?? 0) + node.selfSize);
  for (const c of node.children) walk(c);
};
walk(profile.head);
let total = 0;
const rows = [...sites].sort((a, b) => b[1] - a[1]);
for (const [, b] of rows) total += b;
console.log(`total ${(total / calls).toFixed(0)} B per call`);
for (const [k, b] of rows.slice(0, 30)) console.log(`${(b / calls).toFixed(0).padStart(6)}  ${k}`);
await chain.close();
