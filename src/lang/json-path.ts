/**
 * The JSONPath subset `extract` steps use: `$` (the whole value), `.name`, `["name"]` or
 * `['name']`, `[0]` (negative counts from the end), and `[*]` (every item, which makes the result
 * a list). Enough to reach into a model's JSON reply without a dependency or a query language.
 */

type Segment = { kind: "key"; key: string } | { kind: "index"; index: number } | { kind: "all" };

export interface CompiledJsonPath {
  source: string;
  /**
   * The value at the path, or `undefined` when nothing is there. With `[*]`, the list of values
   * found (`undefined` when none was).
   */
  get(value: unknown): unknown;
}

export class JsonPathError extends Error {
  constructor(
    message: string,
    readonly index: number,
  ) {
    super(message);
    this.name = "JsonPathError";
  }
}

const NAME = /^[A-Za-z_$][A-Za-z0-9_$-]*/;

export function compileJsonPath(source: string): CompiledJsonPath {
  const src = source.trim();
  if (!src.startsWith("$")) throw new JsonPathError(`a path starts with "$" (the whole value), got ${JSON.stringify(source)}`, 0);
  const segments: Segment[] = [];
  let i = 1;
  while (i < src.length) {
    const rest = src.slice(i);
    if (rest[0] === ".") {
      const name = NAME.exec(rest.slice(1))?.[0];
      if (name === undefined) throw new JsonPathError(`expected a name after "." at column ${i + 2} of ${JSON.stringify(source)}`, i + 1);
      segments.push({ kind: "key", key: name });
      i += 1 + name.length;
      continue;
    }
    const bracket = /^\[\s*(\*|-?\d+|"((?:[^"\\]|\\.)*)"|'((?:[^'\\]|\\.)*)')\s*\]/.exec(rest);
    if (bracket === null) throw new JsonPathError(`unexpected ${JSON.stringify(rest[0])} at column ${i + 1} of ${JSON.stringify(source)}; use .name, ["name"], [0] or [*]`, i);
    const [all, inner, dq, sq] = bracket;
    if (inner === "*") segments.push({ kind: "all" });
    else if (dq !== undefined || sq !== undefined) segments.push({ kind: "key", key: (dq ?? sq ?? "").replace(/\\(.)/g, "$1") });
    else segments.push({ kind: "index", index: Number(inner) });
    i += all.length;
  }
  const spread = segments.some((s) => s.kind === "all");
  return {
    source,
    get(value) {
      const found = walk([value], segments);
      if (!spread) return found[0];
      return found.length === 0 ? undefined : found;
    },
  };
}

function walk(values: unknown[], segments: Segment[]): unknown[] {
  let current = values;
  for (const seg of segments) {
    const next: unknown[] = [];
    for (const v of current) {
      if (seg.kind === "all") {
        if (Array.isArray(v)) next.push(...v);
        else if (typeof v === "object" && v !== null) next.push(...Object.values(v));
      } else if (seg.kind === "index") {
        if (Array.isArray(v)) {
          const item: unknown = v.at(seg.index);
          if (item !== undefined) next.push(item);
        }
      } else if (typeof v === "object" && v !== null && !Array.isArray(v) && Object.hasOwn(v, seg.key)) {
        next.push((v as Record<string, unknown>)[seg.key]);
      }
    }
    current = next;
  }
  return current;
}

/**
 * Parses a model's JSON reply. Models often wrap JSON in a Markdown code fence or add a sentence
 * around it even when asked not to; the fenced block, or else the outermost `{…}`/`[…]`, is tried
 * after the whole text. Throws the whole text's parse error when nothing parses.
 */
export function parseJsonReply(text: string): unknown {
  try {
    return JSON.parse(text);
  } catch (first) {
    const fenced = /```(?:json)?\s*\n([\s\S]*?)\n?```/i.exec(text)?.[1];
    const candidates = [fenced, outermost(text, "{", "}"), outermost(text, "[", "]")];
    for (const c of candidates) {
      if (c === undefined) continue;
      try {
        return JSON.parse(c);
      } catch {
        // Not this candidate; the next may parse. The first error is the one reported.
      }
    }
    throw first;
  }
}

function outermost(text: string, open: string, close: string): string | undefined {
  const a = text.indexOf(open);
  const b = text.lastIndexOf(close);
  return a !== -1 && b > a ? text.slice(a, b + 1) : undefined;
}
