import { type ChildProcess, spawn } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { k8sTestCluster, sliceFor, until } from './support/cluster.js';

const cluster = k8sTestCluster();
const CHILD = fileURLToPath(new URL('./fixtures/close-child.ts', import.meta.url));

function run(args: string[]) {
  const child = spawn(process.execPath, ['--import', 'tsx', CHILD, ...args], {
    cwd: fileURLToPath(new URL('../..', import.meta.url)),
    stdio: ['pipe', 'pipe', 'pipe'],
  });
  let out = '';
  let err = '';
  child.stdout!.on('data', (c: Buffer) => {
    out += c.toString();
  });
  child.stderr!.on('data', (c: Buffer) => {
    err += c.toString();
  });
  const exited = new Promise<number | null>((resolve) => child.on('exit', (code) => resolve(code)));
  return {
    child,
    get out() {
      return out;
    },
    get err() {
      return err;
    },
    exited,
  };
}

/** Resolves to how long the process took to exit after `close`, or fails past the bound. */
async function closeAndTimeExit(child: ChildProcess, exited: Promise<number | null>) {
  const start = performance.now();
  child.stdin!.write('close\n');
  const bound = new Promise<'hung'>((resolve) => setTimeout(() => resolve('hung'), 5_000).unref());
  const code = await Promise.race([exited, bound]);
  if (code === 'hung') child.kill('SIGKILL');
  return { code, ms: performance.now() - start };
}

describe('Kubernetes discovery: close()', () => {
  it('a process that closes its client exits on its own, its watch closed at the server', async () => {
    const d = await cluster.apiServer();
    const [a] = await cluster.pods(1);
    d.apply(sliceFor('payments-abc', [a!]));
    const path = d.writeKubeconfig(cluster.tempDir(), { namespace: 'shop' });
    const p = run([path, 'call']);
    await until(() => p.out.includes('called') || p.child.exitCode !== null, 40_000, 'the call');
    expect(p.out).toContain(`called 200 ${a!.name}`);
    await until(() => d.watchCount === 1, 5_000, 'the watch');

    const { code, ms } = await closeAndTimeExit(p.child, p.exited);
    expect(code, p.err).toBe(0);
    expect(p.out).toContain('closed');
    expect(ms).toBeLessThan(5_000);
    await until(() => d.watchCount === 0, 2_000, 'the watch to close');
  }, 60_000);

  it('closing while the API server hangs on the list aborts it, and the process still exits', async () => {
    const d = await cluster.apiServer();
    d.setOutage('hang');
    const path = d.writeKubeconfig(cluster.tempDir(), { namespace: 'shop' });
    const p = run([path, 'no-call']);
    await until(
      () => d.requests.length === 1 || p.child.exitCode !== null,
      40_000,
      'the list request',
    );
    expect(d.requests[0]!.watch).toBe(false);

    const { code } = await closeAndTimeExit(p.child, p.exited);
    expect(code, p.err).toBe(0);
    expect(p.out).toContain('closed');
  }, 60_000);
});
