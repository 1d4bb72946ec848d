import { HOUR_MS } from '../config/policy-options.js';
import { hostPortList, ms, type SettingDef } from '../config/setting.js';

/** Where endpoints come from, and how long a failed source is waited for. */
export const DISCOVERY_ENDPOINTS = hostPortList({
  env: 'ENDPOINTS',
  path: ['discovery'],
  doc: 'Static endpoints; replaces the discovery given in code when set for the service.',
});

/** Decision 0045: long enough for a resolver's retry at start-up, short beside any deadline. */
export const DISCOVERY_INITIAL_WAIT_MS = ms(
  {
    env: 'DISCOVERY_INITIAL_WAIT_MS',
    path: ['discoveryInitialWaitMs'],
    doc: 'Once discovery has failed with no endpoint set yet, calls fail with NO_ENDPOINTS this long after client creation (a source that has not failed is waited for up to the deadline).',
  },
  0,
  HOUR_MS,
  1_000,
);

export const DISCOVERY_SETTINGS: readonly SettingDef[] = [
  DISCOVERY_ENDPOINTS,
  DISCOVERY_INITIAL_WAIT_MS,
];
