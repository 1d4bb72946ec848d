import './events.js';

export type { RetryBudgetOptions } from './options.js';
export { RetryBudget } from './retry-budget.js';
