/** Checks of numeric simulator options: a bad value is a RangeError naming the option. */

export function positive(value: number | undefined, name: string): number | undefined {
  if (value === undefined) return undefined;
  if (!(typeof value === "number" && Number.isFinite(value) && value > 0)) {
    throw new RangeError(`simulator option ${name} must be a positive number, got ${String(value)}`);
  }
  return value;
}

export function nonNegative(value: number | undefined, name: string, fallback: number): number {
  if (value === undefined) return fallback;
  if (!(typeof value === "number" && Number.isFinite(value) && value >= 0)) {
    throw new RangeError(`simulator option ${name} must be a number >= 0, got ${String(value)}`);
  }
  return value;
}

export function fraction(value: number | undefined, name: string): number {
  const p = nonNegative(value, name, 0);
  if (p > 1) throw new RangeError(`simulator option ${name} must be between 0 and 1, got ${p}`);
  return p;
}

export function count(value: number | undefined, name: string): number {
  const n = nonNegative(value, name, 0);
  if (!Number.isInteger(n)) throw new RangeError(`simulator option ${name} must be a whole number, got ${n}`);
  return n;
}
