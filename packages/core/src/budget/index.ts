import './events.js';

export { RetryBudget, type RetryBudgetOptions } from './retry-budget.js';
