export { type ConsulHealthEntry, endpointsFromHealth } from './health-entries.js';
