import { existsSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { PassThrough, Writable } from "node:stream";
import { afterAll, describe, expect, it } from "vitest";
import { UsageError } from "../../src/errors.js";
import { createResultWriter } from "../../src/io/result-writer.js";
import { failed, result, tempDir } from "./helpers.js";

const tmp = tempDir();
afterAll(() => tmp.cleanup());

describe("JSONL result writer", () => {
  it("writes well-formed UTF-8 JSON: a lone surrogate from a provider's answer becomes U+FFFD", async () => {
    const path = join(tmp.dir, "surrogates.jsonl");
    const writer = await createResultWriter({ path });
    await writer.write(result({ output: { "label\ud800": ["broken \udc00 reply"] } }));
    await writer.write(result({ id: "43", output: "plain \ud83d\ude00 and \ud800" }));
    await writer.close();
    const text = new TextDecoder("utf-8", { fatal: true }).decode(readFileSync(path));
    // `jq` aborts the whole stream on a lone-surrogate escape such as \ud800.
    expect(text).not.toMatch(/\\ud[89a-f]/i);
    const [first, second] = text
      .trimEnd()
      .split("\n")
      .map((l) => JSON.parse(l));
    expect(first.output).toEqual({ "label\ufffd": ["broken \ufffd reply"] });
    expect(second.output).toBe("plain \u{1f600} and \ufffd");
  });

  it("writes one line per result with the contract's key order, leaving out undefined keys", async () => {
    const path = join(tmp.dir, "out.jsonl");
    const writer = await createResultWriter({ path });
    // Keys deliberately in another order; `input` is dropped without includeInput.
    const { id, ok, ...rest } = result();
    await writer.write({ ...rest, input: { a: 1 }, ok, id });
    await writer.write(failed({ type: "timeout", message: "slow", retriable: true }, { id: "43", cost_usd: null }));
    await writer.close();
    const lines = readFileSync(path, "utf8").split("\n");
    expect(lines).toHaveLength(3);
    expect(lines[2]).toBe("");
    expect(Object.keys(JSON.parse(lines[0]!))).toEqual(["id", "ok", "output", "model", "provider", "usage", "cost_usd", "attempts", "backoff", "latency_ms", "finish_reason", "steps"]);
    const second = JSON.parse(lines[1]!);
    expect(Object.keys(second).slice(0, 4)).toEqual(["id", "ok", "error", "model"]);
    expect(second.cost_usd).toBeNull();
  });

  it("appends input last with includeInput", async () => {
    const path = join(tmp.dir, "with-input.jsonl");
    const writer = await createResultWriter({ path, includeInput: true });
    await writer.write(result({ input: { id: "42", text: "hello" } }));
    await writer.close();
    const line = JSON.parse(readFileSync(path, "utf8"));
    expect(Object.keys(line).at(-1)).toBe("input");
    expect(line.input).toEqual({ id: "42", text: "hello" });
  });

  it("truncates by default and appends with append", async () => {
    const path = tmp.file("resume.jsonl", '{"id":"old"}\n');
    let w = await createResultWriter({ path, append: true });
    await w.write(result({ id: "new" }));
    await w.close();
    expect(
      readFileSync(path, "utf8")
        .split("\n")
        .map((l) => (l ? JSON.parse(l).id : l)),
    ).toEqual(["old", "new", ""]);
    w = await createResultWriter({ path });
    await w.close();
    expect(readFileSync(path, "utf8")).toBe("");
  });

  it("writes to stdout without closing it, waiting for drain under backpressure", async () => {
    const chunks: string[] = [];
    let pending = 0;
    // A slow consumer with a tiny buffer: most writes return false.
    const stdout = new Writable({
      highWaterMark: 64,
      write(chunk, _enc, cb) {
        pending++;
        setTimeout(() => {
          chunks.push(String(chunk));
          pending--;
          cb();
        }, 1);
      },
    });
    const writer = await createResultWriter({ path: "-", stdout });
    for (let i = 0; i < 50; i++) await writer.write(result({ id: String(i) }));
    await writer.close();
    expect(stdout.writableEnded).toBe(false);
    expect(pending).toBe(0);
    expect(chunks).toHaveLength(50);
    // Every chunk is exactly one whole line.
    expect(chunks.every((c) => c.endsWith("\n") && c.indexOf("\n") === c.length - 1)).toBe(true);
    expect(chunks.map((c) => JSON.parse(c).id)).toEqual([...Array(50).keys()].map(String));
  });

  it("keeps lines whole and in call order when writes are not awaited one by one", async () => {
    const out = new PassThrough({ highWaterMark: 16 });
    const text: string[] = [];
    out.on("data", (c) => text.push(String(c)));
    const writer = await createResultWriter({ stdout: out });
    await Promise.all(Array.from({ length: 200 }, (_, i) => writer.write(result({ id: String(i), output: "x".repeat(i) }))));
    await writer.close();
    const ids = text
      .join("")
      .trimEnd()
      .split("\n")
      .map((l) => JSON.parse(l).id);
    expect(ids).toEqual([...Array(200).keys()].map(String));
  });

  it("is async-disposable and close is idempotent", async () => {
    const path = join(tmp.dir, "disposed.jsonl");
    {
      await using writer = await createResultWriter({ path });
      await writer.write(result());
    }
    expect(readFileSync(path, "utf8")).toContain('"id":"42"');
    const w = await createResultWriter({ path });
    await w.close();
    await w.close();
    await expect(w.write(result())).rejects.toThrow(/closed/);
  });

  it("throws UsageError when the output file cannot be opened", async () => {
    const path = join(tmp.dir, "no-such-dir", "out.jsonl");
    await expect(createResultWriter({ path })).rejects.toThrow(UsageError);
    await expect(createResultWriter({ path })).rejects.toThrow(`cannot write output file "${path}"`);
  });

  it("surfaces a stream error on write or close", async () => {
    const broken = new Writable({
      write(_c, _e, cb) {
        cb(new Error("EPIPE: broken pipe"));
      },
    });
    const writer = await createResultWriter({ stdout: broken });
    await writer.write(result()).catch(() => undefined);
    await new Promise((r) => setImmediate(r));
    await expect(writer.write(result())).rejects.toThrow("EPIPE");
    await expect(writer.close()).rejects.toThrow("EPIPE");
  });
});

describe("JSONL result writer on a full disk", () => {
  it.skipIf(!existsSync("/dev/full"))("reports the write error (ENOSPC) instead of losing it", async () => {
    const writer = await createResultWriter({ path: "/dev/full" });
    // The error surfaces on a later write or, at the latest, on close.
    const outcome = await (async () => {
      for (let i = 0; i < 1000; i++) await writer.write(result({ id: String(i) }));
      await writer.close();
    })().then(
      () => "ok",
      (err: Error) => err.message,
    );
    expect(outcome).toMatch(/ENOSPC/);
    await expect(writer.close()).rejects.toThrow(/ENOSPC/);
  });
});
