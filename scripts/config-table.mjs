// Regenerates the settings table in README.md from the schema in @outrigger/core.
// `--write` rewrites the README; without it, exits 1 when the README is stale.
import { readFileSync, writeFileSync } from 'node:fs';
import { withSettingsTable } from '@outrigger/core';

const path = new URL('../README.md', import.meta.url);
const readme = readFileSync(path, 'utf8');
const next = withSettingsTable(readme);
if (process.argv.includes('--write')) {
  writeFileSync(path, next);
  console.log(
    next === readme ? 'README settings table already current' : 'README settings table updated',
  );
} else if (next !== readme) {
  console.error('README settings table is stale: run `npm run docs:config`');
  process.exit(1);
}
