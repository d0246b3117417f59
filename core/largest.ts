// The largest of a list of numbers, by a loop: Math.max(...list) passes each number as an argument
// and throws a RangeError past about 120,000 of them (an eval set with that many sources, a load
// run's response times). Shared by the eval report and the developer harnesses.

/** The largest of the values, -Infinity for none and NaN if any is NaN (as Math.max()). */
export function largest(values: Iterable<number>): number {
  let max = Number.NEGATIVE_INFINITY;
  for (const value of values) if (value > max || Number.isNaN(value)) max = value;
  return max;
}
