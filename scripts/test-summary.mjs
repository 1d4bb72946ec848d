// Sums the vitest JSON reports of every workspace into one closing line:
// "<label>: N passed, N failed". Exits 1 when any report is missing or counts a failure.
import { existsSync, readFileSync } from 'node:fs';

const root = new URL('../', import.meta.url);
const { workspaces } = JSON.parse(readFileSync(new URL('package.json', root), 'utf8'));
let passed = 0;
let failed = 0;
let skipped = 0;
const missing = [];
for (const workspace of workspaces) {
  const pkg = JSON.parse(readFileSync(new URL(`${workspace}/package.json`, root), 'utf8'));
  if (!pkg.scripts?.test) continue;
  const report = new URL(`${workspace}/test-results.json`, root);
  if (!existsSync(report)) {
    missing.push(workspace);
    continue;
  }
  const json = JSON.parse(readFileSync(report, 'utf8'));
  passed += json.numPassedTests;
  failed += json.numFailedTests;
  skipped += json.numPendingTests + json.numTodoTests;
}
const label = process.argv[2] ?? 'tests';
if (missing.length > 0) console.error(`no test report from: ${missing.join(', ')}`);
console.log(
  `${label.replace(/[^A-Za-z0-9.]+/g, '_')}: ${passed} passed, ${failed} failed, ${skipped} skipped`,
);
process.exit(failed > 0 || missing.length > 0 || passed === 0 ? 1 : 0);
