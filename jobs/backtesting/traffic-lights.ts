/**
 * The traffic-light convention of PD backtesting: green while the test's p-value is at least 0.05 (inside the 95%
 * band), yellow down to 0.001 (inside the 99.9% band), red below. A grade with too few applications is marked as
 * such and not judged: a handful of defaults says little either way.
 */
export type TrafficLight = 'green' | 'yellow' | 'red' | 'too_few';

export const GREEN_FROM = 0.05;
export const YELLOW_FROM = 0.001;
/** The fewest applications a grade needs to be judged. */
export const DEFAULT_MIN_GRADE_COUNT = 30;

export function trafficLight(pValue: number, count: number, minCount = DEFAULT_MIN_GRADE_COUNT): TrafficLight {
  if (count < minCount) return 'too_few';
  return pValue >= GREEN_FROM ? 'green' : pValue >= YELLOW_FROM ? 'yellow' : 'red';
}

const SEVERITY: Record<TrafficLight, number> = { too_few: 0, green: 1, yellow: 2, red: 3 };

/** The worst light among those judged (green when none was judged). */
export function worstLight(lights: TrafficLight[]): Exclude<TrafficLight, 'too_few'> {
  const judged = lights.filter((l) => l !== 'too_few') as Exclude<TrafficLight, 'too_few'>[];
  return judged.reduce<Exclude<TrafficLight, 'too_few'>>((w, l) => (SEVERITY[l] > SEVERITY[w] ? l : w), 'green');
}
