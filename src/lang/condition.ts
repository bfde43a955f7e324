/**
 * `when:` conditions: a small, closed expression language over the same dotted paths as
 * templates, so a user never needs to learn two ways of naming a value.
 *
 *     steps.lang.output != "en"
 *     steps.triage.output.urgent == true && steps.triage.output.label != "other"
 *     !steps.check.output || score >= 0.5
 *
 * Operands: paths (`steps.<id>.output…`, record fields), strings in single or double quotes,
 * numbers, `true`, `false`, `null`. Operators: `==`, `!=`, `<`, `<=`, `>`, `>=`, `!`, `&&`, `||`,
 * parentheses. A bare path is true unless it is missing, null, false, 0 or "". A missing path
 * reads as null, so `x == null` is how one asks "is x absent". Comparisons are strict (no
 * "1" == 1); `<` and friends are false unless both sides are numbers or both are strings.
 */
import { lookupPath } from "./template.js";

export type ConditionNode =
  | { kind: "path"; path: string; segments: string[]; start: number; end: number }
  | { kind: "literal"; value: string | number | boolean | null }
  | { kind: "not"; operand: ConditionNode }
  | { kind: "and" | "or"; left: ConditionNode; right: ConditionNode }
  | { kind: "compare"; op: CompareOp; left: ConditionNode; right: ConditionNode };

type CompareOp = "==" | "!=" | "<" | "<=" | ">" | ">=";

export interface CompiledCondition {
  source: string;
  /** Every path operand, with its offsets in the source (the loader checks step references). */
  paths: { path: string; start: number; end: number }[];
  evaluate(scope: Record<string, unknown>): boolean;
}

/** A condition that cannot be parsed; `index` is the offset of the offending token. */
export class ConditionError extends Error {
  constructor(
    message: string,
    readonly index: number,
  ) {
    super(message);
    this.name = "ConditionError";
  }
}

type Token = { type: "op" | "path" | "string" | "number" | "word"; text: string; value?: string | number; start: number; end: number };

const OPS = ["==", "!=", "<=", ">=", "&&", "||", "<", ">", "!", "(", ")"];
const PATH = /^[A-Za-z_][A-Za-z0-9_-]*(\.([A-Za-z_][A-Za-z0-9_-]*|[0-9]+))*/;
const NUMBER = /^-?(\d+\.?\d*|\.\d+)([eE][+-]?\d+)?/;

function tokenize(src: string): Token[] {
  const tokens: Token[] = [];
  let i = 0;
  while (i < src.length) {
    if (/\s/.test(src[i]!)) {
      i++;
      continue;
    }
    const rest = src.slice(i);
    const op = OPS.find((o) => rest.startsWith(o));
    const quote = rest[0] === '"' || rest[0] === "'" ? rest[0] : undefined;
    if (quote !== undefined) {
      let j = 1;
      let value = "";
      while (j < rest.length && rest[j] !== quote) {
        if (rest[j] === "\\" && j + 1 < rest.length) j++;
        value += rest[j];
        j++;
      }
      if (j >= rest.length) throw new ConditionError(`unterminated string starting at column ${i + 1}`, i);
      tokens.push({ type: "string", text: rest.slice(0, j + 1), value, start: i, end: i + j + 1 });
      i += j + 1;
    } else if (op !== undefined) {
      tokens.push({ type: "op", text: op, start: i, end: i + op.length });
      i += op.length;
    } else if (NUMBER.test(rest)) {
      const text = NUMBER.exec(rest)![0];
      tokens.push({ type: "number", text, value: Number(text), start: i, end: i + text.length });
      i += text.length;
    } else if (PATH.test(rest)) {
      const text = PATH.exec(rest)![0];
      const type = text === "true" || text === "false" || text === "null" ? "word" : "path";
      tokens.push({ type, text, start: i, end: i + text.length });
      i += text.length;
    } else {
      throw new ConditionError(`unexpected character ${JSON.stringify(rest[0])} at column ${i + 1}`, i);
    }
  }
  return tokens;
}

/** Recursive descent: or → and → not → comparison → operand. */
class Parser {
  #pos = 0;
  constructor(
    private readonly tokens: Token[],
    private readonly src: string,
  ) {}

  parse(): ConditionNode {
    if (this.tokens.length === 0) throw new ConditionError("the condition is empty", 0);
    const node = this.#or();
    const extra = this.tokens[this.#pos];
    if (extra !== undefined) throw new ConditionError(`unexpected ${JSON.stringify(extra.text)} at column ${extra.start + 1}`, extra.start);
    return node;
  }

  #peek(text: string): boolean {
    const t = this.tokens[this.#pos];
    return t !== undefined && t.type === "op" && t.text === text;
  }

  #or(): ConditionNode {
    let left = this.#and();
    while (this.#peek("||")) {
      this.#pos++;
      left = { kind: "or", left, right: this.#and() };
    }
    return left;
  }

  #and(): ConditionNode {
    let left = this.#not();
    while (this.#peek("&&")) {
      this.#pos++;
      left = { kind: "and", left, right: this.#not() };
    }
    return left;
  }

  #not(): ConditionNode {
    if (this.#peek("!")) {
      this.#pos++;
      return { kind: "not", operand: this.#not() };
    }
    return this.#compare();
  }

  #compare(): ConditionNode {
    const left = this.#operand();
    const t = this.tokens[this.#pos];
    if (t?.type === "op" && ["==", "!=", "<", "<=", ">", ">="].includes(t.text)) {
      this.#pos++;
      return { kind: "compare", op: t.text as CompareOp, left, right: this.#operand() };
    }
    return left;
  }

  #operand(): ConditionNode {
    const t = this.tokens[this.#pos++];
    if (t === undefined) throw new ConditionError("the condition ends where a value was expected", this.src.length);
    if (t.type === "op" && t.text === "(") {
      const inner = this.#or();
      if (!this.#peek(")")) throw new ConditionError(`missing ")" for the "(" at column ${t.start + 1}`, t.start);
      this.#pos++;
      return inner;
    }
    if (t.type === "string" || t.type === "number") return { kind: "literal", value: t.value! };
    if (t.type === "word") return { kind: "literal", value: t.text === "null" ? null : t.text === "true" };
    if (t.type === "path") return { kind: "path", path: t.text, segments: t.text.split("."), start: t.start, end: t.end };
    throw new ConditionError(`expected a value, got ${JSON.stringify(t.text)} at column ${t.start + 1}`, t.start);
  }
}

export function compileCondition(source: string): CompiledCondition {
  const root = new Parser(tokenize(source), source).parse();
  const paths: CompiledCondition["paths"] = [];
  const collect = (n: ConditionNode): void => {
    if (n.kind === "path") paths.push({ path: n.path, start: n.start, end: n.end });
    else if (n.kind === "not") collect(n.operand);
    else if (n.kind !== "literal") {
      collect(n.left);
      collect(n.right);
    }
  };
  collect(root);
  return { source, paths, evaluate: (scope) => truthy(evaluate(root, scope)) };
}

function evaluate(n: ConditionNode, scope: Record<string, unknown>): unknown {
  switch (n.kind) {
    case "literal":
      return n.value;
    case "path":
      return lookupPath(scope, n.path, n.segments) ?? null;
    case "not":
      return !truthy(evaluate(n.operand, scope));
    case "and":
      return truthy(evaluate(n.left, scope)) && truthy(evaluate(n.right, scope));
    case "or":
      return truthy(evaluate(n.left, scope)) || truthy(evaluate(n.right, scope));
    case "compare":
      return compare(n.op, evaluate(n.left, scope), evaluate(n.right, scope));
  }
}

function compare(op: CompareOp, a: unknown, b: unknown): boolean {
  if (op === "==") return equal(a, b);
  if (op === "!=") return !equal(a, b);
  const comparable = (typeof a === "number" && typeof b === "number") || (typeof a === "string" && typeof b === "string");
  if (!comparable) return false;
  const [x, y] = [a as number | string, b as number | string];
  return op === "<" ? x < y : op === "<=" ? x <= y : op === ">" ? x > y : x >= y;
}

/** Structural equality, so a list or object output can be compared with `==` too. */
function equal(a: unknown, b: unknown): boolean {
  if (typeof a === "object" && a !== null && typeof b === "object" && b !== null) return JSON.stringify(a) === JSON.stringify(b);
  return a === b;
}

function truthy(v: unknown): boolean {
  return v !== null && v !== undefined && v !== false && v !== 0 && v !== "";
}
