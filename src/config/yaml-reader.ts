/**
 * Typed reading of a parsed YAML document that never stops at the first problem: every reader
 * records what is wrong, at the node that is wrong, and returns `undefined` so the caller can
 * carry on and find the next problem. Step validators and the pipeline loader are built from these.
 */
import type * as Yaml from "yaml";
import type { Alias, Document, LineCounter, Node, Scalar, YAMLError, YAMLMap, YAMLSeq } from "yaml";
import { schemaProblem } from "../lang/json-schema.js";
import { lazyModule } from "../lazy-module.js";
import type { ConfigProblem } from "./config-error.js";
import { didYouMean } from "./suggest.js";

// The yaml library is loaded when the first YAML text is parsed: a run with no pipeline or price
// file never loads it (about 8 MB of resident memory). Every module of src/config reaches yaml
// through these functions.
const yaml = lazyModule<typeof Yaml>("yaml");

export function isMap(node: unknown): node is YAMLMap {
  return yaml().isMap(node);
}
export function isSeq(node: unknown): node is YAMLSeq {
  return yaml().isSeq(node);
}
export function isScalar(node: unknown): node is Scalar {
  return yaml().isScalar(node);
}
export function isAlias(node: unknown): node is Alias {
  return yaml().isAlias(node);
}

/** Parses YAML text, keeping line positions; errors are left in `doc.errors` for the caller to report. */
export function parseYamlText(text: string): { doc: Document; lines: LineCounter } {
  const { LineCounter: Lines, parseDocument } = yaml();
  const lines = new Lines();
  // prettyErrors off: positions are formatted by us, in the same `file:line:column` form as ours.
  const doc = parseDocument(text, { lineCounter: lines, prettyErrors: false });
  // One overflow is reported by every level it unwinds through: it is one problem.
  const firstOverflow = doc.errors.findIndex((e) => e.code === "RESOURCE_EXHAUSTION");
  if (firstOverflow !== -1) doc.errors = doc.errors.filter((e, i) => i <= firstOverflow || e.code !== "RESOURCE_EXHAUSTION");
  return { doc, lines };
}

/**
 * What a parse error in `doc.errors` says to a user. The yaml library turns a stack overflow
 * while composing nested collections into `RESOURCE_EXHAUSTION` with the engine's own words
 * ("Maximum call stack size exceeded"), which name neither the problem nor its cause.
 */
export function yamlErrorMessage(error: YAMLError): string {
  if (error.code === "RESOURCE_EXHAUSTION") {
    return "nested too deep: the lists and mappings here are nested so many levels down that the YAML parser ran out of stack (a pipeline needs only a few levels)";
  }
  return `YAML syntax error: ${error.message}`;
}

/** A YAML node after alias resolution; `null` for an absent value (`? key` without `:`). */
export type YamlNode = Node | null;

/** One key of a mapping, with the dotted path used in messages (`limits.rpm`, `steps[0].model`). */
export interface Field {
  name: string;
  path: string;
  key: Scalar;
  value: YamlNode;
}

export class ConfigReader {
  readonly problems: ConfigProblem[] = [];

  constructor(
    readonly file: string,
    /** The raw text the document was parsed from. */
    private readonly source: string,
    private readonly doc: Document,
    private readonly lines: LineCounter,
  ) {}

  /** Records a problem at a node (its first character), or at `fallback` when there is no node. */
  report(node: YamlNode | undefined, message: string, fallback = 0): void {
    this.reportAt(node?.range?.[0] ?? fallback, message);
  }

  reportAt(offset: number, message: string): void {
    const { line, col } = this.lines.linePos(offset);
    this.problems.push({ message, file: this.file, line, column: col });
  }

  /** The source text a node was parsed from, for locating things inside a scalar. */
  sourceOf(node: Node): { text: string; offset: number } | undefined {
    const range = node.range;
    if (range === undefined || range === null) return undefined;
    return { text: this.source.slice(range[0], range[1]), offset: range[0] };
  }

  /** Follows `*alias` references, so anchors can share blocks such as `params`. */
  deref(node: unknown): YamlNode {
    if (isAlias(node)) return this.deref(node.resolve(this.doc) ?? null);
    return (node as Node | null | undefined) ?? null;
  }

  /**
   * Reads a mapping whose keys must come from `allowed`, reporting unknown keys at the key with a
   * suggestion. `where` names the mapping in messages (`pipeline`, `steps[0]`); `prefix` starts the
   * field paths (empty at the top level).
   */
  map(node: YamlNode, where: string, prefix: string, allowed: readonly string[]): Map<string, Field> | undefined {
    if (!isMap(node)) {
      this.report(node, `${where} must be a mapping, got ${describe(node)}`);
      return undefined;
    }
    const fields = new Map<string, Field>();
    for (const pair of node.items) {
      const key = pair.key;
      if (!isScalar(key) || typeof key.value !== "string") {
        this.report(key as YamlNode, `keys in ${where} must be strings, got ${describe(key as YamlNode)}`);
        continue;
      }
      const name = key.value;
      if (!allowed.includes(name)) {
        this.report(key, `unknown key "${name}" in ${where}${didYouMean(name, allowed)}`);
        continue;
      }
      // Duplicate keys never reach this point: yaml reports them as parse errors.
      fields.set(name, { name, path: prefix === "" ? name : `${prefix}.${name}`, key, value: this.deref(pair.value) });
    }
    return fields;
  }

  /** Reports each key in `required` that `fields` lacks, at the start of the mapping. */
  requireKeys(fields: Map<string, Field>, mapNode: YamlNode, where: string, required: readonly string[]): void {
    for (const name of required) {
      if (!fields.has(name)) this.report(mapNode, `${where} is missing required key "${name}"`);
    }
  }

  /** Reports unless exactly one of `keys` is present: at the mapping when none is, else at the second key. */
  exactlyOne(fields: ReadonlyMap<string, Field>, mapNode: YamlNode, where: string, keys: readonly string[]): boolean {
    const given = keys.filter((k) => fields.has(k));
    if (given.length === 1) return true;
    const choices = keys.map((k) => `"${k}"`);
    const list = `${choices.slice(0, -1).join(", ")} or ${choices.at(-1)}`;
    const got = given.length > 1 ? `, got ${given.map((g) => `"${g}"`).join(" and ")}` : "";
    this.report(given.length === 0 ? mapNode : fields.get(given[1]!)!.key, `${where} needs exactly one of ${list}${got}`);
    return false;
  }

  string(f: Field, opts: { nonEmpty?: boolean } = {}): string | undefined {
    const v = scalarValue(f.value);
    if (typeof v !== "string" || (opts.nonEmpty === true && v.trim() === "")) {
      this.report(f.value, `${f.path} must be a ${opts.nonEmpty === true ? "non-empty " : ""}string, got ${describe(f.value)}`, f.key.range?.[1]);
      return undefined;
    }
    return v;
  }

  positiveInt(f: Field): number | undefined {
    const v = scalarValue(f.value);
    if (typeof v === "number" && Number.isSafeInteger(v) && v > 0) return v;
    this.report(f.value, `${f.path} must be a positive integer, got ${describe(f.value)}`, f.key.range?.[1]);
    return undefined;
  }

  integer(f: Field): number | undefined {
    const v = scalarValue(f.value);
    if (typeof v === "number" && Number.isSafeInteger(v)) return v;
    this.report(f.value, `${f.path} must be an integer, got ${describe(f.value)}`, f.key.range?.[1]);
    return undefined;
  }

  /** An integer from 0 to `max`. */
  nonNegativeInt(f: Field, max: number): number | undefined {
    const v = scalarValue(f.value);
    if (typeof v === "number" && Number.isSafeInteger(v) && v >= 0 && v <= max) return v;
    this.report(f.value, `${f.path} must be a whole number from 0 to ${max}, got ${describe(f.value)}`, f.key.range?.[1]);
    return undefined;
  }

  numberInRange(f: Field, min: number, max: number): number | undefined {
    const v = scalarValue(f.value);
    if (typeof v === "number" && v >= min && v <= max) return v;
    this.report(f.value, `${f.path} must be a number between ${min} and ${max}, got ${describe(f.value)}`, f.key.range?.[1]);
    return undefined;
  }

  oneOf<T extends string>(f: Field, values: readonly T[]): T | undefined {
    const v = scalarValue(f.value);
    if (typeof v === "string" && (values as readonly string[]).includes(v)) return v as T;
    const hint = typeof v === "string" ? didYouMean(v, values) : "";
    this.report(f.value, `${f.path} must be one of: ${values.join(", ")}, got ${describe(f.value)}${hint}`, f.key.range?.[1]);
    return undefined;
  }

  /** The plain JS value of a node (a JSON Schema, a map of values), aliases resolved. */
  toJS(node: YamlNode): unknown {
    return node === null ? null : (node.toJS(this.doc) as unknown);
  }

  boolean(f: Field): boolean | undefined {
    const v = scalarValue(f.value);
    if (typeof v === "boolean") return v;
    this.report(f.value, `${f.path} must be true or false, got ${describe(f.value)}`, f.key.range?.[1]);
    return undefined;
  }

  /** A JSON Schema mapping that ajv accepts; the problem is reported at the node otherwise. */
  jsonSchema(f: Field): Record<string, unknown> | undefined {
    const problem = isMap(f.value) ? schemaProblem(this.toJS(f.value)) : `must be a mapping, got ${describe(f.value)}`;
    if (problem === undefined) return this.toJS(f.value) as Record<string, unknown>;
    this.report(f.value, `${f.path} is not a valid JSON Schema: ${problem}`, f.key.range?.[1]);
    return undefined;
  }

  /** The items of a list, aliases resolved. */
  list(f: Field): YamlNode[] | undefined {
    if (!isSeq(f.value)) {
      this.report(f.value, `${f.path} must be a list, got ${describe(f.value)}`, f.key.range?.[1]);
      return undefined;
    }
    return f.value.items.map((item) => this.deref(item));
  }
}

/** The JS value of a scalar node; `undefined` for collections (so type checks fail on them). */
export function scalarValue(node: YamlNode): unknown {
  return isScalar(node) ? node.value : undefined;
}

/** How a received value is shown after "got": strings quoted, so `"10"` and `10` differ visibly. */
export function describe(node: YamlNode | undefined): string {
  if (node === null || node === undefined) return "nothing";
  if (isMap(node)) return "a mapping";
  if (isSeq(node)) return "a list";
  if (isScalar(node)) {
    const v = node.value;
    if (v === null || v === undefined) return "nothing";
    if (typeof v === "string") return JSON.stringify(v);
    if (typeof v === "number" || typeof v === "boolean" || typeof v === "bigint") return String(v);
    return typeof v;
  }
  return "an unsupported YAML value";
}
