import * as crypto from "node:crypto";

/**
 * Content ids: how a record without an id of its own is identified, so `--resume` finds it again
 * whatever line it moved to.
 *
 * The id is `c:` and the first 16 hex digits (64 bits) of the SHA-256 of the record's canonical
 * JSON: the parsed JSONL object (integers beyond 2^53 already the strings of their digits), or a
 * CSV row's header → cell object, written as `JSON.stringify` writes it with object keys sorted
 * by UTF-16 code units at every level (the README gives the rule and a Node one-liner; `jq -cS`
 * differs on DEL, keys outside the BMP and numbers not written as JavaScript writes them).
 * Nothing the user wrote is left out, an `"id": null` or an empty id cell included.
 *
 * Identical records get one hash; the registry numbers their occurrences: the first is `c:<hex>`,
 * the second `c:<hex>#2`, and so on, in file order, so a resume of the same file gives each the same id.
 *
 * Collisions: two different records share a hash with probability about n² / 2⁶⁵ (3 × 10⁻⁸ for a
 * million records). Within a run a collision cannot make two ids equal (the second record is
 * numbered like an identical one); across a resume it could, after the colliding records change
 * places, swap which of the two counts as done.
 */

export const CONTENT_ID_PREFIX = "c:";
const HEX_DIGITS = 16;

/** The 64-bit content key and occurrence (1 for the first) an id spells, when it is a content id. */
export interface ContentKey {
  hi: number;
  lo: number;
  occurrence: number;
}

/** A value that cannot be identified by content (a cycle, or nesting past `MAX_DEPTH`). */
export class ContentIdError extends Error {}

/** Deeper than any real record; a cyclic object (library input) reaches it quickly. */
const MAX_DEPTH = 100_000;

/** The key of `value`'s content: the first 64 bits of the SHA-256 of its canonical JSON. */
export function contentKey(value: unknown): { hi: number; lo: number } {
  const hex = sha256Hex(canonicalJson(value));
  return { hi: Number.parseInt(hex.slice(0, 8), 16), lo: Number.parseInt(hex.slice(8, 16), 16) };
}

/** `c:<16 hex>` for occurrence 1, `c:<16 hex>#<n>` after. */
export function formatContentId(hi: number, lo: number, occurrence: number): string {
  const id = CONTENT_ID_PREFIX + hex8(hi) + hex8(lo);
  return occurrence === 1 ? id : `${id}#${occurrence}`;
}

/** Reads an id back as its content key; undefined unless it is spelled exactly as `formatContentId` writes. */
export function parseContentId(id: string): ContentKey | undefined {
  const end = CONTENT_ID_PREFIX.length + HEX_DIGITS;
  if (id.length < end || !id.startsWith(CONTENT_ID_PREFIX)) return undefined;
  for (let i = CONTENT_ID_PREFIX.length; i < end; i++) {
    const c = id.charCodeAt(i);
    if (!((c >= 48 && c <= 57) || (c >= 97 && c <= 102))) return undefined; // lowercase hex only
  }
  let occurrence = 1;
  if (id.length > end) {
    // `#2`, `#3`, …: canonical decimal, so `#02` is not the second occurrence (nor any).
    const n = id.slice(end + 1);
    if (id.charCodeAt(end) !== 35 || !/^[1-9][0-9]{0,8}$/.test(n) || n === "1") return undefined;
    occurrence = Number(n);
  }
  const hi = Number.parseInt(id.slice(CONTENT_ID_PREFIX.length, CONTENT_ID_PREFIX.length + 8), 16);
  const lo = Number.parseInt(id.slice(CONTENT_ID_PREFIX.length + 8, end), 16);
  return { hi, lo, occurrence };
}

function hex8(n: number): string {
  return (n >>> 0).toString(16).padStart(8, "0");
}

// `crypto.hash` (Node 20.12+) hashes in one call, without a Hash object per record.
const oneShot: ((algorithm: string, data: string, encoding: "hex") => string) | undefined = typeof crypto.hash === "function" ? crypto.hash : undefined;

function sha256Hex(text: string): string {
  return oneShot ? oneShot("sha256", text, "hex") : crypto.createHash("sha256").update(text).digest("hex");
}

interface Frame {
  array: readonly unknown[] | undefined;
  object: Record<string, unknown> | undefined;
  keys: string[] | undefined;
  next: number;
}

/**
 * JSON with object keys sorted at every level, as `JSON.stringify` would write each value
 * otherwise (`toJSON` honoured; undefined, functions and symbols left out of objects and null in
 * arrays; a bigint as its digits). Iterative, so nesting depth is not bounded by the call stack.
 */
export function canonicalJson(root: unknown): string {
  let out = "";
  const stack: Frame[] = [];
  let value = root;
  for (;;) {
    value = jsonValue(value);
    let opened = false;
    if (typeof value === "object" && value !== null) {
      if (stack.length >= MAX_DEPTH) throw new ContentIdError(`it is nested more than ${MAX_DEPTH} levels deep (or refers to itself)`);
      if (Array.isArray(value)) {
        if (value.length === 0) out += "[]";
        else {
          out += "[";
          stack.push({ array: value, object: undefined, keys: undefined, next: 1 });
          value = value[0];
          opened = true;
        }
      } else {
        const object = value as Record<string, unknown>;
        let keys = Object.keys(object);
        // Values JSON leaves out are rare: filter only when there is one.
        for (const k of keys) {
          if (isSerialized(jsonValue(object[k]))) continue;
          keys = keys.filter((key) => isSerialized(jsonValue(object[key])));
          break;
        }
        if (keys.length === 0) out += "{}";
        else {
          keys.sort();
          out += `{${JSON.stringify(keys[0])}:`;
          stack.push({ array: undefined, object, keys, next: 1 });
          value = object[keys[0]!];
          opened = true;
        }
      }
    } else out += scalarJson(value);
    if (opened) continue;
    // The value is written: close every container it finished, then move to the next element.
    for (;;) {
      const top = stack[stack.length - 1];
      if (top === undefined) return out;
      if (top.array) {
        if (top.next < top.array.length) {
          out += ",";
          value = top.array[top.next++];
          break;
        }
        out += "]";
      } else {
        const keys = top.keys!;
        if (top.next < keys.length) {
          const key = keys[top.next++]!;
          out += `,${JSON.stringify(key)}:`;
          value = top.object![key];
          break;
        }
        out += "}";
      }
      stack.pop();
    }
  }
}

function jsonValue(value: unknown): unknown {
  if (typeof value === "object" && value !== null && typeof (value as { toJSON?: unknown }).toJSON === "function") {
    return (value as { toJSON(): unknown }).toJSON();
  }
  return value;
}

function isSerialized(value: unknown): boolean {
  return value !== undefined && typeof value !== "function" && typeof value !== "symbol";
}

function scalarJson(value: unknown): string {
  switch (typeof value) {
    case "string":
      return JSON.stringify(value);
    case "number":
      return Number.isFinite(value) ? String(value) : "null";
    case "boolean":
      return value ? "true" : "false";
    case "bigint":
      return value.toString();
    default:
      return "null"; // null, and undefined, functions and symbols inside arrays
  }
}
