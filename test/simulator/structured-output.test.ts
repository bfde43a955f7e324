import { Ajv } from "ajv";
import type OpenAI from "openai";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { SimulatorHandle } from "../../src/simulator/index.js";
import { openaiFixture } from "./helpers.js";

const SCHEMA = {
  type: "object",
  properties: {
    title: { type: "string", minLength: 3, maxLength: 40 },
    sentiment: { type: "string", enum: ["positive", "neutral", "negative"] },
    score: { type: "number", minimum: -1, maximum: 1 },
    stars: { type: "integer", minimum: 1, maximum: 5 },
    spam: { type: "boolean" },
    published: { type: "string", format: "date" },
    tags: { type: "array", items: { type: "string" }, minItems: 1, maxItems: 4 },
    author: { $ref: "#/$defs/person" },
    reviewer: { anyOf: [{ $ref: "#/$defs/person" }, { type: "null" }] },
    note: { type: ["string", "null"] },
    kind: { const: "review" },
  },
  required: ["title", "sentiment", "score", "stars", "spam", "published", "tags", "author", "reviewer", "note", "kind"],
  additionalProperties: false,
  $defs: {
    person: {
      type: "object",
      properties: { name: { type: "string" }, email: { type: "string", format: "email" }, age: { type: "integer", minimum: 18 } },
      required: ["name", "email", "age"],
      additionalProperties: false,
    },
  },
} as const;

// ajv-formats is not a dependency; the two formats are checked by hand below.
const validate = new Ajv({ strict: false, validateFormats: false }).compile(SCHEMA);

describe("structured output", () => {
  let sim: SimulatorHandle;
  let client: OpenAI;
  beforeAll(async () => ({ sim, client } = await openaiFixture()));
  afterAll(() => sim.close());

  const responseFormat = {
    type: "json_schema" as const,
    json_schema: { name: "review", strict: true, schema: SCHEMA as unknown as Record<string, unknown> },
  };

  it("replies with JSON that validates against the json_schema, for many different prompts", async () => {
    for (let i = 0; i < 25; i++) {
      const data = await client.chat.completions.create({
        model: "gpt-4o-mini",
        messages: [{ role: "user", content: `Review number ${i}` }],
        response_format: responseFormat,
      });
      const parsed: unknown = JSON.parse(data.choices[0]?.message.content ?? "");
      expect(validate(parsed), JSON.stringify(validate.errors)).toBe(true);
      const review = parsed as { published: string; author: { email: string } };
      expect(review.published).toMatch(/^\d{4}-\d\d-\d\d$/);
      expect(review.author.email).toMatch(/^[^@\s]+@[^@\s]+\.[a-z]+$/);
      expect(data.choices[0]?.finish_reason).toBe("stop");
    }
  });

  it("replies to json_object with a JSON object", async () => {
    const data = await client.chat.completions.create({
      model: "gpt-4o-mini",
      messages: [{ role: "user", content: "Answer in JSON" }],
      response_format: { type: "json_object" },
    });
    expect(JSON.parse(data.choices[0]?.message.content ?? "")).toEqual(expect.any(Object));
  });

  it("cuts the JSON mid-object when max tokens is smaller than it, with finish_reason length", async () => {
    const data = await client.chat.completions.create({
      model: "gpt-4o-mini",
      messages: [{ role: "user", content: "Review, briefly" }],
      response_format: responseFormat,
      max_completion_tokens: 8,
    });
    expect(data.choices[0]?.finish_reason).toBe("length");
    expect(data.usage?.completion_tokens).toBeLessThanOrEqual(8);
    expect(() => JSON.parse(data.choices[0]?.message.content ?? "")).toThrow();
  });

  it("rejects a json_schema without a valid name, as the API does", async () => {
    await expect(
      client.chat.completions.create({
        model: "gpt-4o-mini",
        messages: [{ role: "user", content: "x" }],
        response_format: { type: "json_schema", json_schema: { name: "has spaces", schema: {} } },
      }),
    ).rejects.toMatchObject({ status: 400, param: "response_format.json_schema.name" });
  });
});
