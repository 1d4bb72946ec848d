/** The versions line each comparison section states: Node, the peers measured, HAProxy. */
import { readFileSync } from 'node:fs';

export function packageVersion(name: string): string {
  try {
    const pkg = JSON.parse(
      readFileSync(
        new URL(`../../../../node_modules/${name}/package.json`, import.meta.url),
        'utf8',
      ),
    ) as { version: string };
    return `${name} ${pkg.version}`;
  } catch {
    return `${name} (not installed)`;
  }
}

export function versionsLine(packages: readonly string[], haproxy?: string): string {
  return [
    `Node ${process.version}`,
    ...packages.map(packageVersion),
    ...(haproxy ? [haproxy] : []),
  ].join(', ');
}
