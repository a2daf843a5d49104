import { GENDERS, LoanApplication, MARITAL_STATUSES } from '../contract/loan-application.contract.js';

/** The attributes the law protects here: accepted and monitored, never inputs of a lawful model. */
export const PROTECTED_ATTRIBUTES = { gender: GENDERS, marital_status: MARITAL_STATUSES } as const;
export type ProtectedAttribute = keyof typeof PROTECTED_ATTRIBUTES;

/** Under this ratio of approval rates a group fails the four-fifths rule. */
export const FOUR_FIFTHS = 0.8;

export interface GroupFigures {
  count: number;
  approval_rate: number | null;
  /** The group's approval rate over the highest group's (among groups with enough applications). */
  adverse_impact_ratio: number | null;
  status: 'ok' | 'below_four_fifths' | 'insufficient_data';
}

export type FairnessTable = Record<ProtectedAttribute, Record<string, GroupFigures>>;

/** Counts of applications and approvals per attribute and group (every group of the contract present). */
export type ApprovalCounts = Record<ProtectedAttribute, Record<string, { count: number; approvals: number }>>;

export function emptyCounts(): ApprovalCounts {
  const counts = {} as ApprovalCounts;
  for (const [attribute, groups] of Object.entries(PROTECTED_ATTRIBUTES) as [ProtectedAttribute, readonly string[]][]) {
    counts[attribute] = Object.fromEntries(groups.map((g) => [g, { count: 0, approvals: 0 }]));
  }
  return counts;
}

/** Counts for a set of applications and whether each was approved (same order). */
export function countApprovals(
  applications: readonly LoanApplication[],
  approved: (i: number) => boolean,
): ApprovalCounts {
  const counts = emptyCounts();
  applications.forEach((application, i) => {
    for (const attribute of Object.keys(PROTECTED_ATTRIBUTES) as ProtectedAttribute[]) {
      const group = counts[attribute][application[attribute]];
      group.count++;
      if (approved(i)) group.approvals++;
    }
  });
  return counts;
}

/**
 * Approval rate and adverse impact ratio per group; a group with fewer than `minCount` applications is
 * insufficient_data and takes no part in finding the highest rate. The live monitor (minimum 50) and the
 * retraining gate (minimum 100) both read their figures from here.
 */
export function fairnessTable(counts: ApprovalCounts, minCount: number): FairnessTable {
  const table = {} as FairnessTable;
  for (const attribute of Object.keys(counts) as ProtectedAttribute[]) {
    const groups = Object.entries(counts[attribute]);
    const rate = (c: { count: number; approvals: number }) => (c.count > 0 ? c.approvals / c.count : null);
    const best = Math.max(0, ...groups.filter(([, c]) => c.count >= minCount).map(([, c]) => rate(c)!));
    table[attribute] = Object.fromEntries(
      groups.map(([group, c]) => {
        if (c.count < minCount)
          return [
            group,
            { count: c.count, approval_rate: rate(c), adverse_impact_ratio: null, status: 'insufficient_data' },
          ];
        const air = best > 0 ? rate(c)! / best : null;
        return [
          group,
          {
            count: c.count,
            approval_rate: rate(c),
            adverse_impact_ratio: air,
            status: air !== null && air < FOUR_FIFTHS ? 'below_four_fifths' : 'ok',
          },
        ];
      }),
    );
  }
  return table;
}
