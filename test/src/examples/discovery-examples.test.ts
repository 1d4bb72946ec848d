/**
 * The Consul and Kubernetes examples run unchanged against the API doubles, the way they run
 * against a real agent or cluster: the Consul one with CONSUL_HTTP_ADDR pointing at the Consul
 * double, the Kubernetes one with KUBECONFIG pointing at the kube-apiserver double. Without
 * either they explain how to run them and exit 0.
 */
import { spawn } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { ConsulDouble } from '../consul/support/consul-double.js';
import { k8sTestCluster, sliceFor } from '../k8s/support/cluster.js';

const ROOT = fileURLToPath(new URL('../../../', import.meta.url));
const cluster = k8sTestCluster();

function runExample(
  file: string,
  args: readonly string[],
  env: Record<string, string | undefined>,
): Promise<{ code: number | null; stdout: string; stderr: string }> {
  return new Promise((resolve, reject) => {
    const childEnv: Record<string, string> = { NODE_NO_WARNINGS: '1' };
    for (const [k, v] of Object.entries({ ...process.env, ...env })) {
      if (v !== undefined) childEnv[k] = v;
    }
    const child = spawn(process.execPath, ['--import', 'tsx', `examples/src/${file}`, ...args], {
      cwd: ROOT,
      env: childEnv,
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (c) => {
      stdout += c;
    });
    child.stderr.on('data', (c) => {
      stderr += c;
    });
    const timer = setTimeout(() => child.kill('SIGKILL'), 40_000);
    child.on('error', reject);
    child.on('exit', (code) => {
      clearTimeout(timer);
      resolve({ code, stdout, stderr });
    });
  });
}

describe('discovery examples', { timeout: 60_000 }, () => {
  it('consul: registers, discovers and calls through the Consul double, then deregisters', async () => {
    const consul = await ConsulDouble.start();
    try {
      const run = await runExample('consul/discovery.ts', [], {
        CONSUL_HTTP_ADDR: consul.address,
      });
      expect(run.code, run.stderr).toBe(0);
      expect(run.stdout).toMatch(/^registered \S+ on 127\.0\.0\.1:\d+$/m);
      expect(run.stdout.match(/^200 hello from pid \d+$/gm)).toHaveLength(3);
      expect(run.stdout).toContain('closed: the instance is deregistered');
    } finally {
      await consul.close();
    }
  });

  it('consul: without CONSUL_HTTP_ADDR it says how to run it and exits 0', async () => {
    const run = await runExample('consul/discovery.ts', [], { CONSUL_HTTP_ADDR: undefined });
    expect(run.code, run.stderr).toBe(0);
    expect(run.stdout).toContain('CONSUL_HTTP_ADDR=http://127.0.0.1:8500 npm run example:consul');
  });

  it('k8s: finds the pods of a Service through the apiserver double and calls them', async () => {
    const d = await cluster.apiServer();
    const pods = await cluster.pods(2);
    d.apply(sliceFor('payments-aaaaa', pods));
    const kubeconfig = d.writeKubeconfig(cluster.tempDir(), { namespace: 'shop' });
    const run = await runExample('k8s/discovery.ts', ['payments.shop:http', '/'], {
      KUBECONFIG: kubeconfig,
    });
    expect(run.code, run.stderr).toBe(0);
    expect(run.stdout.match(/^GET \/ -> 200 payments-\w+$/gm)).toHaveLength(5);
    expect(run.stdout).toContain('Outrigger client for "payments.shop"');
  });

  it('k8s: with no cluster to reach it says how to run it and exits 0', async () => {
    const run = await runExample('k8s/discovery.ts', [], {
      KUBECONFIG: '/nonexistent/kubeconfig',
      KUBERNETES_SERVICE_HOST: undefined,
      HOME: cluster.tempDir(),
    });
    expect(run.code, run.stderr).toBe(0);
    expect(run.stdout).toContain('This example needs a Kubernetes cluster');
  });
});
