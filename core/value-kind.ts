// What a value is, named for an error message: "null", "an array", or its typeof.

export function kindOf(value: unknown): string {
  return value === null ? 'null' : Array.isArray(value) ? 'an array' : typeof value;
}
