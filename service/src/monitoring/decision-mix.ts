import { Injectable, OnModuleInit } from '@nestjs/common';
import type { PolicyDecision } from '../policy/credit-policy.js';
import { ScoringEvents } from '../scoring/scoring-events.js';

/** Answers by decision and rule under one policy version, since this instance first answered with it. */
export interface PolicyMix {
  policy_version: string;
  answers: number;
  decisions: Record<PolicyDecision, { count: number; rate: number | null }>;
  rules_fired: { rule: string; count: number; rate: number }[];
}

interface Counts {
  answers: number;
  decisions: Record<PolicyDecision, number>;
  rules: Map<string, number>;
}

/** Policy versions whose counts are kept; past it the oldest go (a service sees a handful in its life). */
const MAX_POLICIES = 20;

/**
 * Counts every answer's decision and the rules that fired, per policy version (the mix of one policy is not
 * mixed with the next's): a few increments per answer on the request's path.
 */
@Injectable()
export class DecisionMix implements OnModuleInit {
  private readonly byPolicy = new Map<string, Counts>();
  private last: { version: string; counts: Counts } | null = null;

  constructor(private readonly events: ScoringEvents) {}

  onModuleInit(): void {
    this.events.subscribe((event) => {
      const counts = this.countsOf(event.policy.policy_version);
      counts.answers += event.answers.length;
      for (const answer of event.answers) {
        counts.decisions[answer.decision]++;
        for (const rule of answer.rules_fired) counts.rules.set(rule, (counts.rules.get(rule) ?? 0) + 1);
      }
    });
  }

  private countsOf(version: string): Counts {
    if (this.last?.version === version) return this.last.counts;
    let counts = this.byPolicy.get(version);
    if (!counts) {
      if (this.byPolicy.size >= MAX_POLICIES) this.byPolicy.delete(this.byPolicy.keys().next().value as string);
      counts = { answers: 0, decisions: { approve: 0, refer: 0, decline: 0 }, rules: new Map() };
      this.byPolicy.set(version, counts);
    }
    this.last = { version, counts };
    return counts;
  }

  /** Each policy version's mix, the most recently used first. */
  report(): PolicyMix[] {
    const mixes = [...this.byPolicy].map(([version, counts]) => {
      const rate = (n: number) => (counts.answers > 0 ? n / counts.answers : null);
      const decisions = Object.fromEntries(
        (['approve', 'refer', 'decline'] as const).map((d) => [
          d,
          { count: counts.decisions[d], rate: rate(counts.decisions[d]) },
        ]),
      ) as PolicyMix['decisions'];
      const rules = [...counts.rules]
        .sort((a, b) => b[1] - a[1])
        .map(([rule, count]) => ({ rule, count, rate: count / counts.answers }));
      return { policy_version: version, answers: counts.answers, decisions, rules_fired: rules };
    });
    const current = this.last?.version;
    return mixes.sort((a, b) => Number(b.policy_version === current) - Number(a.policy_version === current));
  }
}
