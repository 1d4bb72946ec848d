import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { SETTINGS } from './settings.js';
import { chainTable, settingsTable, withSettingsTable } from './table.js';

const readmePath = new URL('../../../../README.md', import.meta.url);

describe('README settings table', () => {
  it('matches the schema (run `npm run docs:config` after changing a setting)', () => {
    const readme = readFileSync(readmePath, 'utf8');
    expect(withSettingsTable(readme)).toBe(readme);
  });

  it('lists every setting, with every variable the README promises', () => {
    const table = settingsTable();
    for (const def of SETTINGS) expect(table).toContain(`| \`${def.env}\` |`);
    for (const required of [
      'ENDPOINTS',
      'BALANCER',
      'TIMEOUT_MS',
      'PER_TRY_TIMEOUT_MS',
      'RETRY_MAX_ATTEMPTS',
      'RETRY_BUDGET_RATIO',
      'BREAKER',
      'BULKHEAD_MAX_CONCURRENT',
      'BULKHEAD_MAX_QUEUE',
      'RATE_LIMIT_PER_SECOND',
      'FAULT_DELAY_PERCENT',
      'FAULT_DELAY_MS',
      'FAULT_ABORT_PERCENT',
      'FAULT_ABORT_STATUS',
    ]) {
      expect(table).toContain(`| \`${required}\` |`);
    }
  });

  it('the README carries the default chain, generated from DEFAULT_CHAIN', () => {
    const readme = readFileSync(readmePath, 'utf8');
    expect(readme).toContain(chainTable());
  });

  it('detects drift: a README with a stale table is rewritten', () => {
    const stale = `intro\n${settingsTable().replace('`10000`', '`9999`')}\noutro`;
    expect(withSettingsTable(stale)).not.toBe(stale);
    expect(withSettingsTable(stale)).toBe(`intro\n${settingsTable()}\noutro`);
  });
});
