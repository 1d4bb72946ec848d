// `npm run example -- <name> [args]`: runs examples/dist/<name>.js (built by `npm run example`),
// or lists the examples when no name is given.
import { spawnSync } from 'node:child_process';
import { existsSync, readdirSync } from 'node:fs';

const [name, ...args] = process.argv.slice(2);
const dist = new URL('../examples/dist/', import.meta.url);
const file = name && new URL(`${name.replace(/\.(ts|js)$/, '')}.js`, dist);
if (!file || !existsSync(file)) {
  const names = readdirSync(dist, { recursive: true })
    .map(String)
    .filter(
      (f) => f.endsWith('.js') && !/^(demo|support|policies)\/|^(demo|quickstart)\.js$/.test(f),
    )
    .map((f) => f.replace(/\.js$/, ''))
    .sort();
  console.error(`${name ? `no example "${name}". ` : ''}Examples: ${names.join(', ')}`);
  process.exit(name ? 2 : 0);
}
const run = spawnSync(process.execPath, [file.pathname, ...args], { stdio: 'inherit' });
process.exit(run.status ?? 1);
