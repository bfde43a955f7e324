/**
 * Prompt templates: `{{name}}`, `{{ name }}`, dotted paths such as `{{customer.name}}` or
 * `{{steps.summary.output}}`. A template is compiled once per run and rendered once per record,
 * so compilation does all the scanning and rendering is a single pass over precomputed parts.
 *
 * Rendering rules:
 * - strings are inserted as is; numbers and booleans via `String()`;
 * - objects and arrays as JSON (`JSON.stringify`);
 * - `null` renders as the empty string (a CSV cell or JSON field that is present but empty);
 * - a variable that is absent or `undefined` is an error: silently sending a prompt with a hole
 *   in it would cost money for a useless answer.
 *
 * Braces: a `{{` without a later `}}` is literal text, and when several `{{` precede one `}}`
 * only the last one opens the placeholder, so `{{{name}}}` renders as `{value}`.
 */

/** One `{{ … }}` occurrence in a template source. */
export interface TemplatePlaceholder {
  /** Dotted path as written, without spaces: `steps.summary.output`. */
  path: string;
  /** Offset of the opening `{{` in the source. */
  start: number;
  /** Offset just past the closing `}}`. */
  end: number;
}

export interface CompiledTemplate {
  source: string;
  /** Dotted paths referenced, in order of first appearance, without duplicates. */
  refs: string[];
  /** Every placeholder with its offsets, for tools that point at positions (the pipeline loader). */
  placeholders: TemplatePlaceholder[];
  /** Renders with a record's variables; throws `TemplateError` when a referenced variable is missing. */
  render(ctx: Record<string, unknown>): string;
}

export type TemplateErrorKind = "missing" | "syntax";

/**
 * A template problem. `kind: "missing"` comes from `render` (then `missing` is the dotted path);
 * `kind: "syntax"` comes from `compileTemplate` (then `index` and `token` locate the bad placeholder
 * and `missing` is the empty string).
 */
export class TemplateError extends Error {
  readonly kind: TemplateErrorKind;
  /** Dotted path of the variable the record lacks (empty for syntax errors). */
  readonly missing: string;
  /** Offset of the bad placeholder in the template source (syntax errors only). */
  readonly index?: number;
  /** The bad placeholder as written, e.g. `{{}}` (syntax errors only). */
  readonly token?: string;

  constructor(message: string, init: { kind: TemplateErrorKind; missing?: string; index?: number; token?: string }) {
    super(message);
    this.name = "TemplateError";
    this.kind = init.kind;
    this.missing = init.missing ?? "";
    if (init.index !== undefined) this.index = init.index;
    if (init.token !== undefined) this.token = init.token;
  }
}

/** A name (`customer`, `step-1`, `_x`) or an array index (`0`). The first segment must be a name. */
const NAME = /^[A-Za-z_][A-Za-z0-9_-]*$/;
const INDEX = /^[0-9]+$/;

type Part = string | { path: string; segments: string[] };

export function compileTemplate(source: string): CompiledTemplate {
  const parts: Part[] = [];
  const placeholders: TemplatePlaceholder[] = [];
  let literal = "";
  let pos = 0;
  while (pos < source.length) {
    const open = source.indexOf("{{", pos);
    const close = open === -1 ? -1 : source.indexOf("}}", open + 2);
    if (open === -1 || close === -1) break;
    // The last `{{` before the `}}` opens the placeholder; earlier braces are literal text.
    const start = source.lastIndexOf("{{", close - 2);
    const end = close + 2;
    const inner = source.slice(start + 2, close).trim();
    const segments = inner.split(".");
    if (inner === "" || !segments.every((s, i) => NAME.test(s) || (i > 0 && INDEX.test(s)))) {
      const token = source.slice(start, end);
      const why = inner === "" ? "an empty placeholder" : `an invalid variable path "${inner}"`;
      throw new TemplateError(
        `template has ${why} in ${token}; use {{name}} or {{a.b.c}} with letters, digits, "_" and "-"`,
        { kind: "syntax", index: start, token },
      );
    }
    literal += source.slice(pos, start);
    if (literal !== "") parts.push(literal);
    literal = "";
    parts.push({ path: inner, segments });
    placeholders.push({ path: inner, start, end });
    pos = end;
  }
  literal += source.slice(pos);
  if (literal !== "") parts.push(literal);

  const refs = [...new Set(placeholders.map((p) => p.path))];
  return {
    source,
    refs,
    placeholders,
    render(ctx) {
      let out = "";
      for (const part of parts) out += typeof part === "string" ? part : formatValue(lookupPath(ctx, part.path, part.segments), part.path);
      return out;
    },
  };
}

/**
 * Resolves a dotted path. A top-level key that itself contains dots (a CSV header such as
 * `customer.name`) wins over the nested walk, so flat records work without renaming columns.
 * Only own properties count: `{{constructor}}` must not render `Object`'s constructor.
 */
export function lookupPath(ctx: Record<string, unknown>, path: string, segments: string[]): unknown {
  if (segments.length > 1 && Object.hasOwn(ctx, path)) return ctx[path];
  let current: unknown = ctx;
  for (const segment of segments) {
    if (typeof current !== "object" || current === null || !Object.hasOwn(current, segment)) return undefined;
    current = (current as Record<string, unknown>)[segment];
  }
  return current;
}

function formatValue(value: unknown, path: string): string {
  switch (typeof value) {
    case "string":
      return value;
    case "number":
    case "boolean":
    case "bigint":
      return String(value);
    case "undefined":
      throw new TemplateError(`template variable "${path}" is missing from the record`, { kind: "missing", missing: path });
    default:
      if (value === null) return "";
      return JSON.stringify(value) ?? "";
  }
}
