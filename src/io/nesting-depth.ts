/**
 * The bound on how deeply a record's arrays and objects may nest.
 *
 * Why: `JSON.parse` reads any depth, but everything after the reader walks a value recursively
 * (`JSON.stringify` in the writers and templates, the CSV writer, schema checks) and runs out of
 * stack somewhere past 10,000 levels, which would crash the run or lose the record. No real
 * record nests that deep, so the reader refuses it and no later stage can meet it.
 */

/** Deepest allowed nesting, the record's own object counting as level 1. Documented in README. */
export const MAX_NESTING_DEPTH = 1000;

const OPEN_ARRAY = 0x5b; // [
const OPEN_OBJECT = 0x7b; // {
const CLOSE_ARRAY = 0x5d; // ]
const CLOSE_OBJECT = 0x7d; // }
const QUOTE = 0x22;
const BACKSLASH = 0x5c;

/**
 * True when the JSON text in `bytes` (already known to parse) nests deeper than `limit`.
 *
 * Cheap for the lines of a normal file: a value nested `limit + 1` deep needs that many opening
 * brackets and as many closing ones, so a shorter line, or one with few brackets (counted by the
 * native `indexOf`), is decided without looking at its bytes one by one. Only the rest is
 * scanned, skipping strings, whose brackets are text. Byte-wise is exact for UTF-8: brackets,
 * quotes and backslashes never occur inside a multi-byte character.
 */
export function jsonNestsDeeperThan(bytes: Uint8Array, limit = MAX_NESTING_DEPTH): boolean {
  if (bytes.length < 2 * (limit + 1)) return false;
  const buf = Buffer.isBuffer(bytes) ? bytes : Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  if (countUpTo(buf, OPEN_ARRAY, limit + 1) + countUpTo(buf, OPEN_OBJECT, limit + 1) <= limit) return false;
  let depth = 0;
  let inString = false;
  for (let i = 0; i < buf.length; i++) {
    const b = buf[i];
    if (inString) {
      if (b === BACKSLASH) i++;
      else if (b === QUOTE) inString = false;
    } else if (b === QUOTE) {
      inString = true;
    } else if (b === OPEN_ARRAY || b === OPEN_OBJECT) {
      if (++depth > limit) return true;
    } else if (b === CLOSE_ARRAY || b === CLOSE_OBJECT) {
      depth--;
    }
  }
  return false;
}

/**
 * Why a value (a record handed to `runPipeline`) cannot be read: it nests deeper than `limit`,
 * or it holds a cycle, which no writer could serialise either; `undefined` when it is fine.
 * Iterative, so the check cannot overflow the stack itself.
 */
export function valueNestingProblem(value: unknown, limit = MAX_NESTING_DEPTH): "too deep" | "circular" | undefined {
  if (!isContainer(value)) return undefined;
  const onPath = new Set<object>([value]);
  const frames: { node: object; children: unknown[]; next: number }[] = [{ node: value, children: childrenOf(value), next: 0 }];
  while (frames.length > 0) {
    const top = frames[frames.length - 1]!;
    if (top.next === top.children.length) {
      frames.pop();
      onPath.delete(top.node);
      continue;
    }
    const child = top.children[top.next++];
    if (!isContainer(child)) continue;
    if (onPath.has(child)) return "circular";
    if (frames.length >= limit) return "too deep";
    onPath.add(child);
    frames.push({ node: child, children: childrenOf(child), next: 0 });
  }
  return undefined;
}

function isContainer(value: unknown): value is object {
  return typeof value === "object" && value !== null;
}

function childrenOf(value: object): unknown[] {
  return Array.isArray(value) ? value : Object.values(value);
}

/** What a record nested too deep is told, naming its field that is (found only on this error path). */
export function tooDeepMessage(record: Record<string, unknown>, limit = MAX_NESTING_DEPTH): string {
  const field = Object.keys(record).find((k) => valueNestingProblem(record[k], limit - 1) === "too deep");
  const what = field === undefined ? "the record" : `field ${JSON.stringify(field)}`;
  return `${what} nests arrays/objects more than ${limit} levels deep, counting the record as one (the most llmbatch reads)`;
}

function countUpTo(buf: Buffer, byte: number, max: number): number {
  let n = 0;
  for (let i = buf.indexOf(byte); i !== -1 && n < max; i = buf.indexOf(byte, i + 1)) n++;
  return n;
}
