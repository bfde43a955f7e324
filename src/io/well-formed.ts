/**
 * Lone UTF-16 surrogates: `"\ud800"` is valid JSON text, and `JSON.parse` turns it into a string
 * that is not Unicode. UTF-8 cannot encode it, so it cannot be written as itself: `JSON.stringify`
 * writes it back as the escape `\ud800`, which strict readers such as `jq` refuse (aborting the
 * whole stream), and Node's UTF-8 encoder silently writes U+FFFD instead.
 *
 * So input is refused (the record is an `invalid_input` naming the field: the prompt a user
 * wrote is never sent changed), and output is written well-formed: a lone surrogate that still
 * reaches a writer (a provider's answer) is written as U+FFFD.
 */

// A lone surrogate enters JSON text only as an escape: the bytes of a line are checked to be UTF-8
// first, and UTF-8 has no encoding for a surrogate. This matches a real (not backslash-escaped)
// `\uD800`–`\uDBFF` escape not followed by a low one, or a `\uDC00`–`\uDFFF` escape not preceded
// by a high one: exactly the lone ones, so the common escaped pair (`\ud83d\ude00`, as Python's
// `json.dumps` writes an emoji) costs one regex test and no walk.
const LONE_SURROGATE_ESCAPE = /(?<!\\)(?:\\\\)*(?:\\u[dD][89abAB][0-9a-fA-F]{2}(?!\\u[dD][c-fC-F])|(?<!(?<!\\)(?:\\\\)*\\u[dD][89abAB][0-9a-fA-F]{2})\\u[dD][c-fC-F][0-9a-fA-F]{2})/;

/**
 * The path of the first key or string in `value` that holds a lone surrogate (`prompt`,
 * `messages[0].content`, `the key of meta["k"]`), or `undefined` when there is none. `text` is the
 * JSON the value was parsed from: only a line with a lone-surrogate escape is walked, for the path.
 */
export function loneSurrogatePath(text: string, value: unknown): string | undefined {
  if (!text.includes("\\u") || !LONE_SURROGATE_ESCAPE.test(text)) return undefined;
  return loneSurrogateIn(value);
}

/** As `loneSurrogatePath`, for a value without JSON text (a program's records): every string and key is looked at. */
export function loneSurrogateIn(value: unknown): string | undefined {
  // Iterative: the reader has bounded the depth, but a stack of its own costs nothing here.
  const stack: [unknown, string][] = [[value, ""]];
  while (stack.length > 0) {
    const [v, path] = stack.pop()!;
    if (typeof v === "string") {
      if (!v.isWellFormed()) return path;
      continue;
    }
    if (typeof v !== "object" || v === null) continue;
    if (Array.isArray(v)) {
      for (let i = v.length - 1; i >= 0; i--) stack.push([v[i], `${path}[${i}]`]);
      continue;
    }
    const entries = Object.entries(v);
    for (let i = entries.length - 1; i >= 0; i--) {
      const [key, child] = entries[i]!;
      const at = fieldPath(path, key);
      if (!key.isWellFormed()) return `the key of ${at}`;
      stack.push([child, at]);
    }
  }
  return undefined;
}

/** What a record with a lone surrogate is told. */
export function loneSurrogateMessage(path: string): string {
  return `${path} holds a lone UTF-16 surrogate escape (such as \\ud800 without its pair), which is not a character: it cannot be sent or written as UTF-8 (fix the escape, or remove it)`;
}

/**
 * `JSON.stringify`, but the text never holds a lone-surrogate escape: such strings (and keys) are
 * written with U+FFFD in their place. The check is one substring search of the output, since
 * `JSON.stringify` escapes only lone surrogates as `\ud…` (a well-formed pair is written as is);
 * only a hit pays for a second pass (a user's literal `\\ud` text is a harmless false alarm).
 */
export function wellFormedJson(value: unknown): string {
  const text = JSON.stringify(value);
  if (text === undefined || !text.includes("\\ud")) return text;
  return JSON.stringify(value, (_key, v: unknown) => {
    if (typeof v === "string") return v.toWellFormed();
    if (typeof v !== "object" || v === null || Array.isArray(v)) return v;
    const keys = Object.keys(v);
    if (keys.every((k) => k.isWellFormed())) return v;
    return Object.fromEntries(keys.map((k) => [k.toWellFormed(), (v as Record<string, unknown>)[k]]));
  });
}

function fieldPath(parent: string, key: string): string {
  const simple = /^[A-Za-z_][A-Za-z0-9_]*$/.test(key);
  if (parent === "") return simple ? key : `[${JSON.stringify(key.toWellFormed())}]`;
  return simple ? `${parent}.${key}` : `${parent}[${JSON.stringify(key.toWellFormed())}]`;
}

// ES2024 string methods (Node 20 has them; the project's `lib` is ES2023).
declare global {
  interface String {
    isWellFormed(): boolean;
    toWellFormed(): string;
  }
}
