/**
 * Certificate files laid out as Kubernetes writes a secret or cert-manager volume: the files are
 * symlinks into `..data`, itself a symlink to a timestamped directory, and an update writes a new
 * directory and renames a new `..data` link over the old one, so both files change in one step.
 */
import { mkdirSync, readlinkSync, renameSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';

export interface RotatingFiles {
  readonly certFile: string;
  readonly keyFile: string;
  /** Swaps in a new pair atomically (the `..data` link). */
  swap(cert: string, key: string): void;
}

export function rotatingFiles(dir: string, cert: string, key: string): RotatingFiles {
  const root = join(dir, `volume-${Math.random().toString(36).slice(2)}`);
  mkdirSync(root);
  let generation = 0;
  const write = (c: string, k: string): string => {
    const name = `..gen-${++generation}`;
    mkdirSync(join(root, name));
    writeFileSync(join(root, name, 'tls.crt'), c);
    writeFileSync(join(root, name, 'tls.key'), k);
    return name;
  };
  symlinkSync(write(cert, key), join(root, '..data'));
  symlinkSync(join('..data', 'tls.crt'), join(root, 'tls.crt'));
  symlinkSync(join('..data', 'tls.key'), join(root, 'tls.key'));
  return {
    certFile: join(root, 'tls.crt'),
    keyFile: join(root, 'tls.key'),
    swap(c, k) {
      const old = readlinkSync(join(root, '..data'));
      const next = write(c, k);
      symlinkSync(next, join(root, '..data_tmp'));
      renameSync(join(root, '..data_tmp'), join(root, '..data'));
      rmSync(join(root, old), { recursive: true, force: true });
    },
  };
}

/** Waits for `condition`, checking every 5 ms, for at most `ms`; throws with `what` after. */
export async function waitFor(condition: () => boolean, what: string, ms = 5_000): Promise<void> {
  const until = performance.now() + ms;
  while (!condition()) {
    if (performance.now() > until) throw new Error(`timed out waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 5));
  }
}
