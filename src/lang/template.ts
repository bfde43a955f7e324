/**
 * Prompt templates: `{{name}}`, `{{ name }}`, dotted paths such as `{{customer.name}}` or
 * `{{steps.summary.output}}`, and field names as spreadsheets write them: `{{Review Text}}`,
 * `{{Unnamed: 0}}`. A template is compiled once per run and rendered once per record, so
 * compilation does all the scanning and rendering is a single pass over precomputed parts.
 *
 * What a placeholder reads. Its inside, without the spaces around it, is first a field name: a
 * record with a field of exactly that name (a CSV column `Review Text`, or `customer.name`) gives
 * that field. Otherwise, when the inside is a path, the path is followed: `.name`, `.0`, and
 * brackets for keys that are not names, `["first name"]`, `['a.b']`, `[0]`. So a key that clashes
 * with a path is reached either way: `{{a.b}}` is the field "a.b" if the record has one, else
 * field "b" of field "a"; `{{a["b"]}}` is always the walk, and `{{["a.b"]}}` always the field.
 * An inside that is no path (it holds spaces, `:` or `?`, say) is only a field name.
 *
 * Refused when compiled (a `TemplateError` of kind "syntax"): an empty `{{}}`; an inside that
 * starts with `[` or `steps` but is not a path (so a typo in a step reference is caught when the
 * pipeline loads); and Mustache-style tags (`{{#if}}`, `{{/if}}`, `{{> partial}}`, `{{! note}}`,
 * `{{^x}}`, `{{&x}}`), which are not supported; a field whose name starts with such a sign is
 * written with brackets, `{{["# of items"]}}`.
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
  /** The inside as written, without the spaces around it: `steps.summary.output`, `Review Text`. */
  path: string;
  /**
   * The keys the path walks, `["steps", "summary", "output"]`; for an inside that is only a field
   * name, that name alone. `segments[0]` is the record field (or `steps`, or `id`) it starts from.
   */
  segments: readonly string[];
  /** Offset of the opening `{{` in the source. */
  start: number;
  /** Offset just past the closing `}}`. */
  end: number;
}

export interface CompiledTemplate {
  source: string;
  /** The placeholders' `path`s, in order of first appearance, without duplicates. */
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
/** A name, or a bracket: `["…"]` / `['…']` (with backslash escapes) or `[0]`, each at the start of the rest. */
const NAME_AT = /^[A-Za-z_][A-Za-z0-9_-]*/;
const INDEX_AT = /^[0-9]+/;
const BRACKET_AT = /^\[\s*(?:"((?:[^"\\]|\\.)*)"|'((?:[^'\\]|\\.)*)'|([0-9]+))\s*\]/;
/** Mustache and Handlebars tags: sections, closings, partials, comments, unescaped output. */
const MUSTACHE_TAG = /^[#/^!>&]/;

/** One placeholder as rendering needs it. */
interface Ref {
  path: string;
  /** Tried first: the record's own field of this exact name. */
  key: string;
  /** Walked when there is no such field; undefined when it would read the same key again. */
  walk: string[] | undefined;
}

type Part = string | Ref;

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
    const segments = readPlaceholder(inner, source.slice(start, end), start);
    literal += source.slice(pos, start);
    if (literal !== "") parts.push(literal);
    literal = "";
    const walks = segments.length > 1 || segments[0] !== inner;
    parts.push({ path: inner, key: inner, walk: walks ? segments : undefined });
    placeholders.push({ path: inner, segments, start, end });
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
      for (const part of parts) out += typeof part === "string" ? part : formatValue(resolve(ctx, part), part.path);
      return out;
    },
  };
}

/**
 * The segments of a placeholder's inside (see the module comment), or a `TemplateError` for one
 * that can be neither a path nor a field name.
 */
function readPlaceholder(inner: string, token: string, index: number): string[] {
  const fail = (what: string, hint: string): never => {
    throw new TemplateError(`template has ${what} in ${token}; ${hint}`, { kind: "syntax", index, token });
  };
  if (inner === "") fail("an empty placeholder", 'use {{name}}, {{a.b.c}} or {{["a field name"]}}');
  const dotted = inner.split(".");
  if (dotted.every((s, i) => NAME.test(s) || (i > 0 && INDEX.test(s)))) return dotted;
  const path = bracketPath(inner);
  if (path !== undefined) return path;
  if (inner.startsWith("[")) fail(`an invalid path "${inner}"`, `a key in brackets is written ["a key"], ['a key'] or [0]`);
  if (/^steps\s*[.[]/.test(inner)) {
    fail(`an invalid step reference "${inner}"`, `step outputs are read as {{steps.<id>.output}}, and a key of one that is not a name as {{steps.<id>.output["a key"]}}`);
  }
  if (MUSTACHE_TAG.test(inner)) {
    fail(
      `"${inner}", which looks like a Mustache tag,`,
      `sections, partials and comments are not supported, and a field whose name starts with "${inner[0]}" is written {{${JSON.stringify([inner])}}}`,
    );
  }
  return [inner];
}

/** The keys of a path with brackets (`a["b c"].d`, `["a.b"]`), or undefined when `inner` is not one. */
function bracketPath(inner: string): string[] | undefined {
  if (!inner.includes("[")) return undefined;
  const segments: string[] = [];
  let rest = inner;
  while (rest !== "") {
    const bracket = BRACKET_AT.exec(rest);
    if (bracket !== null) {
      const [all, dq, sq, digits] = bracket;
      const quoted = dq ?? sq;
      segments.push(quoted === undefined ? digits! : quoted.replace(/\\(.)/g, "$1"));
      rest = rest.slice(all.length);
      continue;
    }
    const first = segments.length === 0;
    const afterDot = first ? rest : rest.startsWith(".") ? rest.slice(1) : undefined;
    const name = afterDot === undefined ? undefined : (NAME_AT.exec(afterDot)?.[0] ?? (first ? undefined : INDEX_AT.exec(afterDot)?.[0]));
    if (name === undefined) return undefined;
    segments.push(name);
    rest = afterDot!.slice(name.length);
  }
  return segments;
}

/** A placeholder's value: the field named by its whole inside, else the path walked. */
function resolve(ctx: Record<string, unknown>, ref: Ref): unknown {
  if (Object.hasOwn(ctx, ref.key)) return ctx[ref.key];
  return ref.walk === undefined ? undefined : walkPath(ctx, ref.walk);
}

function walkPath(ctx: Record<string, unknown>, segments: readonly string[]): unknown {
  let current: unknown = ctx;
  for (const segment of segments) {
    if (typeof current !== "object" || current === null || !Object.hasOwn(current, segment)) return undefined;
    current = (current as Record<string, unknown>)[segment];
  }
  return current;
}

/**
 * Resolves a dotted path. A top-level key that itself contains dots (a CSV header such as
 * `customer.name`) wins over the nested walk, so flat records work without renaming columns.
 * Only own properties count: `{{constructor}}` must not render `Object`'s constructor.
 */
export function lookupPath(ctx: Record<string, unknown>, path: string, segments: string[]): unknown {
  if (segments.length > 1 && Object.hasOwn(ctx, path)) return ctx[path];
  return walkPath(ctx, segments);
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
