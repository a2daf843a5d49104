import type { KnockOut } from '../../service/src/policy/credit-policy.js';

/** The knock-out the policy tests decline by: a debt-to-income ratio above 0.6. */
export const HIGH_DEBT: KnockOut = {
  code: 'K01',
  field: 'debt_to_income_ratio',
  operator: '>',
  value: 0.6,
  text: 'Your monthly debt payments are more than 60% of your income',
};
