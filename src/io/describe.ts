/**
 * Renders a value received from user data for an error message ("got …"), short enough to
 * read on one line: a 10 MB prompt must not end up in a message, so strings are clipped.
 */
export function describeValue(value: unknown): string {
  if (value === undefined) return "nothing";
  if (value === null) return "null";
  if (typeof value === "string") return JSON.stringify(clip(value, 60));
  if (typeof value === "number" || typeof value === "boolean") return String(value);
  if (Array.isArray(value)) return `an array (${value.length} items)`;
  if (typeof value === "object") return "an object";
  return typeof value;
}

function clip(text: string, max: number): string {
  return text.length <= max ? text : `${text.slice(0, max)}…`;
}
