/**
 * `npm run bench [-- suite ...]`: runs the benchmark suites and writes BENCHMARKS.md.
 * Each suite's section is kept in bench/results/<suite>.md, so running one suite refreshes its
 * section and leaves the others as last measured (each section says when it was measured).
 */
import { execSync, spawnSync } from 'node:child_process';
import { readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { cpus, totalmem } from 'node:os';
import { fileURLToPath } from 'node:url';
import { describeKernelEntry } from './lib/kernel-entry.js';
import type { BenchSuite } from './lib/suite.js';

const here = new URL('./', import.meta.url);
const suiteFiles = readdirSync(new URL('suites/', here))
  .filter((f) => f.endsWith('.ts'))
  .sort();
const wanted = process.argv.slice(2);
const selected = wanted.length
  ? suiteFiles.filter((f) => wanted.includes(f.replace(/\.ts$/, '')))
  : suiteFiles;
if (wanted.length && selected.length !== wanted.length) {
  console.error(
    `unknown suite in ${wanted.join(', ')}; valid: ${suiteFiles.map((f) => f.replace(/\.ts$/, '')).join(', ')}`,
  );
  process.exit(2);
}

// Each suite runs in a process of its own, so the heap and compiled code one suite leaves
// behind (the policies suite holds 100,000 calls in flight) cannot tax the next one's slices.
if (selected.length > 1 || !process.env.OUTRIGGER_BENCH_CHILD) {
  for (const file of selected) {
    const child = spawnSync(
      process.execPath,
      [...process.execArgv, fileURLToPath(import.meta.url), file.replace(/\.ts$/, '')],
      { stdio: 'inherit', env: { ...process.env, OUTRIGGER_BENCH_CHILD: '1' } },
    );
    if (child.status !== 0) process.exit(child.status ?? 1);
  }
} else {
  await runSuite(selected[0]!);
  process.exit(0);
}

async function runSuite(file: string): Promise<void> {
  const suite = (await import(new URL(`suites/${file}`, here).href)).default as BenchSuite;
  console.log(`== ${suite.title}`);
  const started = Date.now();
  const section = await suite.run();
  const stamp = `_Measured ${new Date().toISOString().slice(0, 16).replace('T', ' ')} UTC in ${((Date.now() - started) / 1000).toFixed(0)} s._`;
  const text = `${section.trim()}\n\n${stamp}\n`;
  writeFileSync(new URL(`results/${suite.name}.md`, here), text);
  console.log(text);
}

const versions = (names: string[]) =>
  names
    .map((n) => {
      try {
        const pkg = JSON.parse(
          readFileSync(new URL(`../../node_modules/${n}/package.json`, here), 'utf8'),
        );
        return `${n} ${pkg.version}`;
      } catch {
        return `${n} (not installed)`;
      }
    })
    .join(', ');
const results = readdirSync(new URL('results/', here))
  .filter((f) => f.endsWith('.md'))
  .sort();
const cpu = cpus()[0]?.model ?? 'unknown CPU';
let commit = 'uncommitted';
try {
  commit = execSync('git rev-parse --short HEAD', { encoding: 'utf8' }).trim();
} catch {}
const header = `# Benchmarks

Written by \`npm run bench\` (commit ${commit}). Each suite runs in a fresh process; every figure
is a median over alternating slices within that process, with the min–max across slices in
parentheses; ratios compare variants measured in the same run. Peers are measured beside
Outrigger, never quoted from elsewhere.

- Machine: ${cpus().length} × ${cpu}, ${(totalmem() / 2 ** 30).toFixed(0)} GiB; Node ${process.version}
- Kernel entry: ${describeKernelEntry()}.
  Loopback figures pay a few system calls per request, and a client's own code costs more per
  request there than without sockets (HTTP section) on either kind of host; with isolation and
  no PCID each system call also empties the TLB (\`bench/tools/http-inprocess.ts --syscalls\`).
- Versions: ${versions(['undici', 'cockatiel', 'opossum', 'p-retry', '@grpc/grpc-js'])}
`;
writeFileSync(
  new URL('../../BENCHMARKS.md', here),
  `${header}\n${results.map((f) => readFileSync(new URL(`results/${f}`, here), 'utf8')).join('\n')}`,
);
console.log('BENCHMARKS.md written');
