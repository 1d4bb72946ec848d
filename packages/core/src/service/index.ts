export { type Pipeline, pipeline } from './pipeline.js';
export { type EntryService, namedPolicy, type Policy, type Service } from './service.js';
