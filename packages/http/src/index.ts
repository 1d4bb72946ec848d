export { classifyStatus, type HttpOutcome, httpClassifier, parseRetryAfter } from './classify.js';
