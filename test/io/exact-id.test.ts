import { describe, expect, it } from "vitest";
import { hasLongDigitRun, keepExactIds, keepExactIntegers, numberText } from "../../src/io/exact-id.js";

/** What the JSONL reader does with a line: parse, then keep the id's text when it matters. */
function idOf(line: string): unknown {
  const obj = JSON.parse(line) as Record<string, unknown>;
  keepExactIds(obj, line);
  return obj.custom_id ?? obj.id;
}

describe("keepExactIds: numeric ids come out as the text of the input", () => {
  it("keeps every digit of an integer a double cannot hold", () => {
    expect(idOf('{"id": 570306133677760513, "text": "@VirginAmerica what @dhepburn said."}')).toBe("570306133677760513");
    expect(idOf('{"text":"x","id":570306133677760514}')).toBe("570306133677760514");
    expect(idOf('{"id":-9007199254740993}')).toBe("-9007199254740993");
  });

  it("keeps numbers that String() would spell differently: 1.0, 1e3, -0, 1E+2", () => {
    expect(idOf('{"id":1.0,"prompt":"a"}')).toBe("1.0");
    expect(idOf('{"id": 1e3}')).toBe("1e3");
    expect(idOf('{"id":-0}')).toBe("-0");
    expect(idOf('{"id":1E+2}')).toBe("1E+2");
    expect(idOf('{"id":1e999}')).toBe("1e999"); // Infinity once parsed
  });

  it("leaves plain numbers and strings as they are", () => {
    expect(idOf('{"id":7,"prompt":"a"}')).toBe(7);
    expect(idOf('{"id":"570306133677760513"}')).toBe("570306133677760513");
    expect(idOf('{"id":0.5}')).toBe(0.5);
  });

  it("finds the top-level key, not a nested one or one inside a string, and the last when it repeats", () => {
    expect(idOf('{"meta":{"id":1},"note":"\\"id\\": 2","id":1.50}')).toBe("1.50");
    expect(idOf('{"nested":[{"id":5.0}],"id":5}')).toBe(5);
    expect(idOf('{"\\u0069d":2.0}')).toBe("2.0"); // the key spelled with an escape
    expect(idOf('{"id":1.0,"id":3.0}')).toBe("3.0");
    expect(idOf('{"a\\\\":"b\\\\","id":4.0}')).toBe("4.0"); // backslashes before a closing quote
  });

  it("applies to custom_id on a Batch line only", () => {
    expect(idOf('{"custom_id":570306133677760513,"method":"POST","url":"/v1/chat/completions","body":{"messages":[]}}')).toBe("570306133677760513");
    const plain = JSON.parse('{"custom_id":1.0,"prompt":"p"}') as Record<string, unknown>;
    keepExactIds(plain, '{"custom_id":1.0,"prompt":"p"}');
    expect(plain.custom_id).toBe(1);
  });

  it("numberText is undefined when the key's value is not a number", () => {
    expect(numberText('{"id":"x"}', "id")).toBeUndefined();
    expect(numberText('{"x":1}', "id")).toBeUndefined();
    expect(numberText(' { "id" : 12 } ', "id")).toBe("12");
  });
});

/** What the JSONL reader does with a line's other fields. */
const exact = (line: string): unknown => keepExactIntegers(JSON.parse(line), line, Buffer.from(line));

describe("keepExactIntegers: integers a double cannot hold keep their digits, in every field", () => {
  it("turns each one into the string of its digits, nested and in arrays, and leaves the rest as parsed", () => {
    expect(exact('{"tweet_id":570306133677760513,"n":7,"user":{"ids":[1171612806184075264,-9007199254740993,3]}}')).toEqual({
      tweet_id: "570306133677760513",
      n: 7,
      user: { ids: ["1171612806184075264", "-9007199254740993", 3] },
    });
    expect(exact("[9007199254740992]")).toEqual(["9007199254740992"]); // 2^53: the first integer past the safe range
  });

  it("keeps numbers a double holds, fractions and exponents as numbers", () => {
    expect(exact('{"a":9007199254740991,"b":-9007199254740991}')).toEqual({ a: 9007199254740991, b: -9007199254740991 });
    expect(exact('{"pi":3.14159265358979323846,"big":12345678901234567890.5,"e":12345678901234567890e2}')).toEqual({ pi: 3.141592653589793, big: 12345678901234567000, e: 1.2345678901234568e21 });
  });

  it("does not touch digits inside strings or keys, escaped quotes included", () => {
    const line = '{"12345678901234567890":"phone 12345678901234567890","q":"say \\"x\\" 12345678901234567890","n":12345678901234567890}';
    expect(exact(line)).toEqual({ "12345678901234567890": "phone 12345678901234567890", q: 'say "x" 12345678901234567890', n: "12345678901234567890" });
    const unchanged = JSON.parse('{"id":"570306133677760513"}');
    expect(keepExactIntegers(unchanged, '{"id":"570306133677760513"}', Buffer.from('{"id":"570306133677760513"}'))).toBe(unchanged); // nothing to re-parse
  });

  it("hasLongDigitRun finds a run of 16 digits wherever it starts, and nothing shorter", () => {
    for (let pad = 0; pad < 40; pad++) {
      expect(hasLongDigitRun(Buffer.from(`${"x".repeat(pad)}1234567890123456${"y".repeat(pad % 7)}`))).toBe(true);
      expect(hasLongDigitRun(Buffer.from(`${"x".repeat(pad)}123456789012345${"y".repeat(pad % 7)}`))).toBe(false);
      expect(hasLongDigitRun(Buffer.from(`${"1".repeat(pad % 16)}.${"2".repeat(15)}`))).toBe(false);
    }
  });
});
