/**
 * A master scale: the model's rating grades as bands of probability of default, fixed for a version (training
 * chooses it and keeps it in the manifest). A grade holds the probabilities above the previous grade's upper bound
 * and up to its own. Every answer carries its grade; backtests judge each grade's promise.
 */
export interface MasterScale {
  grades: { grade: string; upper: number }[];
}

/** The grade of a probability of default on a scale (the last grade's upper bound is 1). */
export function gradeOf(scale: MasterScale, probability: number): string {
  for (const band of scale.grades) if (probability <= band.upper) return band.grade;
  return scale.grades[scale.grades.length - 1].grade;
}

/**
 * The scale a version without one of its own is judged on: eight grades whose bounds double, from 0.5% to 32%,
 * then the rest. A version trained today carries its own, chosen from its training scores.
 */
export const DEFAULT_MASTER_SCALE: MasterScale = {
  grades: [0.005, 0.01, 0.02, 0.04, 0.08, 0.16, 0.32, 1].map((upper, i) => ({ grade: `R${i + 1}`, upper })),
};

/** A manifest's master scale, or the default when the version predates them. */
export function scaleOf(manifest: { master_scale?: MasterScale }): { scale: MasterScale; own: boolean } {
  return manifest.master_scale?.grades?.length
    ? { scale: manifest.master_scale, own: true }
    : { scale: DEFAULT_MASTER_SCALE, own: false };
}
