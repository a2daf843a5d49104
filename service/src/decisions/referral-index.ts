/** A referred answer, as this instance gave it, kept until a reviewer decides it (or it is forgotten). */
export interface Referral {
  prediction_id: string;
  application_id: string | null;
  /** When it was answered, in epoch milliseconds. */
  answered_at: number;
  probability_of_default: number;
  threshold: number;
  model_version: string;
  policy_version: string;
  rules_fired: readonly string[];
  /** open: waiting for a reviewer; recording: a decision is being written; decided: written. */
  state: 'open' | 'recording' | 'decided';
}

/**
 * The referrals this instance answered, most recent `capacity` of them (a Map in insertion order: past the
 * capacity the oldest is forgotten, and counted). A reviewer's decision needs its referral's probability and
 * threshold to say whether it overrides the model; the prediction log has them too, but cannot be searched
 * on the request's path.
 */
export class ReferralIndex {
  private readonly referrals = new Map<string, Referral>();
  /** Referrals dropped, oldest first, to stay within capacity while still undecided. */
  forgottenOpen = 0;
  /** Referrals held that no reviewer has decided yet. */
  open = 0;

  constructor(private readonly capacity: number) {}

  get size(): number {
    return this.referrals.size;
  }

  add(referral: Referral): void {
    if (this.referrals.size >= this.capacity) {
      const oldest = this.referrals.values().next().value as Referral;
      this.referrals.delete(oldest.prediction_id);
      if (oldest.state !== 'decided') {
        this.open--;
        this.forgottenOpen++;
      }
    }
    this.referrals.set(referral.prediction_id, referral);
    if (referral.state !== 'decided') this.open++;
  }

  /** A referral's decision was written: it stays (a second decision is refused) but is no longer open. */
  decided(referral: Referral): void {
    if (referral.state !== 'decided') this.open--;
    referral.state = 'decided';
  }

  get(predictionId: string): Referral | undefined {
    return this.referrals.get(predictionId);
  }
}
