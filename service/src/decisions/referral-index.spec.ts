import { Referral, ReferralIndex } from './referral-index.js';

const referral = (id: string): Referral => ({
  prediction_id: id,
  application_id: null,
  answered_at: 0,
  probability_of_default: 0.1,
  threshold: 0.2,
  model_version: 'v',
  policy_version: 'p',
  rules_fired: [],
  state: 'open',
});

describe('ReferralIndex', () => {
  it('keeps the most recent referrals within its capacity and counts the open ones it forgot', () => {
    const index = new ReferralIndex(3);
    for (const id of ['a', 'b', 'c']) index.add(referral(id));
    index.decided(index.get('a')!);
    expect([index.size, index.open]).toEqual([3, 2]);
    index.add(referral('d')); // forgets a (decided)
    index.add(referral('e')); // forgets b (open)
    expect([index.get('a'), index.get('b')]).toEqual([undefined, undefined]);
    expect(index.get('e')?.state).toBe('open');
    expect([index.size, index.open, index.forgottenOpen]).toEqual([3, 3, 1]);
    index.decided(index.get('e')!);
    index.decided(index.get('e')!); // twice is once
    expect(index.open).toBe(2);
  });
});
