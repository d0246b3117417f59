// The largest of a list of numbers, by a loop: Math.max(...list) passes each number as an argument
// and throws a RangeError past about 120,000 of them (a set with that many sources, table rows).

/** The largest value; NaN for an empty list (the values here are never NaN themselves). */
export function largest(values: readonly number[]): number {
  if (values.length === 0) return NaN;
  let top = -Infinity;
  for (const v of values) if (v > top) top = v;
  return top;
}
