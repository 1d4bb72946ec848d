/**
 * What entering the kernel costs on this machine, for the header of BENCHMARKS.md. Every
 * loopback figure pays a few system calls per request, and their price varies from host to
 * host more than the clients' own code does: with page-table isolation (the Meltdown
 * mitigation) and a CPU without PCID, each entry into the kernel also empties the TLB, so the
 * code and data a client touches between two calls are fetched again. Readers comparing
 * figures across machines need to know which kind this was.
 */
import { readFileSync } from 'node:fs';

function read(path: string): string | undefined {
  try {
    return readFileSync(path, 'utf8');
  } catch {
    return undefined;
  }
}

/** One line: isolation, PCID, and a bare system call's cost in a tight loop. */
export function describeKernelEntry(): string {
  const meltdown = read('/sys/devices/system/cpu/vulnerabilities/meltdown')?.trim();
  const flags =
    read('/proc/cpuinfo')
      ?.match(/^flags\s*:(.*)$/m)?.[1]
      ?.split(/\s+/) ?? [];
  const isolation =
    meltdown === undefined
      ? 'page-table isolation unknown'
      : meltdown.includes('PTI')
        ? 'page-table isolation on'
        : 'no page-table isolation';
  const pcid = flags.length === 0 ? 'PCID unknown' : flags.includes('pcid') ? 'PCID' : 'no PCID';
  const getuid = process.getuid;
  if (getuid === undefined) return `${isolation}, ${pcid}`;
  const n = 100_000;
  const t0 = process.hrtime.bigint();
  for (let i = 0; i < n; i++) getuid();
  const ns = Number(process.hrtime.bigint() - t0) / n;
  return `${isolation}, ${pcid}; a bare system call (getuid) costs ${(ns / 1_000).toFixed(2)} µs`;
}
