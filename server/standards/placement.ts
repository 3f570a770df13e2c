/** Where a value falls among a standard's tiers for one category, compared exactly in integer ng/kg. */
import { InvariantError } from './errors';
import type { Threshold } from './schema';
import { scaleToInteger } from './units';

/** A value's place: inside a tier, in the gap between two tiers, below the lowest, or above the highest. */
export type Placement =
  | { readonly kind: 'within'; readonly threshold: Threshold }
  | { readonly kind: 'gap'; readonly lower: Threshold; readonly upper: Threshold }
  | { readonly kind: 'below'; readonly lowest: Threshold }
  | { readonly kind: 'above'; readonly highest: Threshold };

/** A threshold bound (mg/kg, at most 6 places by schema) as exact integer ng/kg. */
export function boundNg(mgPerKg: number): number {
  return scaleToInteger(mgPerKg, 6).value;
}

/** True when `ng` is below the start of `t`'s range. */
function startsAfter(t: Threshold, ng: number): boolean {
  const min = boundNg(t.min);
  return t.minInclusive ? ng < min : ng <= min;
}

/** True when `ng` is past the end of `t`'s range; never for an open range. */
function endsBefore(t: Threshold, ng: number): boolean {
  if (t.max === null) return false;
  const max = boundNg(t.max);
  return t.maxInclusive ? ng > max : ng >= max;
}

/** The tiers of one standard and category in increasing order. Requires rows of one (standard, category) group. */
export function sortTiers(rows: readonly Threshold[]): Threshold[] {
  return [...rows].sort((a, b) => boundNg(a.min) - boundNg(b.min));
}

/**
 * Places an integer ng/kg value among tiers. Requires `tiers` non-empty, sorted by sortTiers, and disjoint
 * (the schema guarantees it); a value between two tiers is a 'gap' naming both.
 */
export function place(tiers: readonly Threshold[], ng: number): Placement {
  const lowest = tiers[0];
  const highest = tiers[tiers.length - 1];
  if (lowest === undefined || highest === undefined) throw new InvariantError('place() needs at least one tier.');
  if (startsAfter(lowest, ng)) return { kind: 'below', lowest };
  const within = tiers.find((t) => !startsAfter(t, ng) && !endsBefore(t, ng));
  if (within !== undefined) return { kind: 'within', threshold: within };
  if (endsBefore(highest, ng)) return { kind: 'above', highest };
  const upperIndex = tiers.findIndex((t) => startsAfter(t, ng));
  const lower = tiers[upperIndex - 1];
  const upper = tiers[upperIndex];
  if (lower === undefined || upper === undefined) throw new InvariantError(`No tier, gap or bound holds ${ng} ng/kg.`);
  return { kind: 'gap', lower, upper };
}
