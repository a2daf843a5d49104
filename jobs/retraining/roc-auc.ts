/**
 * ROC-AUC by ranks (the Mann-Whitney statistic), ties sharing their average rank: the probability that a
 * random positive scores above a random negative. `positives[i]` is 1 for a default.
 */
export function rocAuc(positives: ArrayLike<number>, scores: ArrayLike<number>): number {
  const n = scores.length;
  const order = Array.from({ length: n }, (_, i) => i).sort((a, b) => scores[a] - scores[b]);
  const ranks = new Float64Array(n);
  for (let i = 0; i < n;) {
    let j = i;
    while (j + 1 < n && scores[order[j + 1]] === scores[order[i]]) j++;
    const rank = (i + j) / 2 + 1;
    for (let k = i; k <= j; k++) ranks[order[k]] = rank;
    i = j + 1;
  }
  let positiveCount = 0;
  let rankSum = 0;
  for (let i = 0; i < n; i++) {
    if (positives[i] === 1) {
      positiveCount++;
      rankSum += ranks[i];
    }
  }
  const negativeCount = n - positiveCount;
  if (positiveCount === 0 || negativeCount === 0) return NaN;
  return (rankSum - (positiveCount * (positiveCount + 1)) / 2) / (positiveCount * negativeCount);
}
