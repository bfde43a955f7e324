/**
 * The node:http fetch the SDK clients run on, against a real local HTTP server: what the clients
 * rely on from fetch (status, headers, body, decompression, redirects, aborts, network errors).
 * The provider tests cover it again through the real `openai` client.
 */
import { gzipSync } from "node:zlib";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createHttpFetch } from "../../src/providers/http-fetch.js";
import { startPeer, type Peer } from "./http-peer.js";

let peer: Peer;
const { fetch: httpFetch, close } = createHttpFetch();

beforeAll(async () => {
  peer = await startPeer();
});
afterAll(async () => {
  close();
  await peer.close();
});

describe("http fetch", () => {
  it("sends method, headers and body, and answers with status, repeated headers and body", async () => {
    peer.handle((_req, res) => {
      res.writeHead(201, "Made", [
        ["x-request-id", "req_1"],
        ["set-cookie", "a=1"],
        ["set-cookie", "b=2"],
        ["content-type", "application/json"],
      ]);
      res.end(JSON.stringify({ ok: "é" }));
    });
    const res = await httpFetch(`${peer.url}/v1/x`, { method: "POST", headers: new Headers({ "content-type": "application/json", "x-k": "v" }), body: JSON.stringify({ a: "ü" }) });
    expect(res.status).toBe(201);
    expect(res.statusText).toBe("Made");
    expect(res.headers.get("x-request-id")).toBe("req_1");
    expect(res.headers.getSetCookie()).toEqual(["a=1", "b=2"]);
    expect(await res.json()).toEqual({ ok: "é" });
    const seen = peer.requests.at(-1)!;
    expect(seen.method).toBe("POST");
    expect(seen.headers["x-k"]).toBe("v");
    expect(seen.body).toEqual({ a: "ü" });
  });

  it("answers with a Response whose body reads once, by text/json, by stream or by arrayBuffer, and clones", async () => {
    peer.handle((_req, res) => {
      res.writeHead(200, { "content-type": "application/json" });
      res.end('\uFEFF{"n":1,"s":"ü"}');
    });
    const url = `${peer.url}/body`;
    const a = await httpFetch(url);
    expect(a).toBeInstanceOf(Response);
    expect(a.ok).toBe(true);
    expect(a.bodyUsed).toBe(false);
    const copy = a.clone();
    // As fetch's text(): UTF-8, a leading BOM dropped.
    expect(await a.json()).toEqual({ n: 1, s: "ü" });
    expect(a.bodyUsed).toBe(true);
    await expect(a.text()).rejects.toThrow(TypeError);
    expect(() => a.clone()).toThrow(TypeError);
    expect(await copy.text()).toBe('{"n":1,"s":"ü"}');

    const b = await httpFetch(url);
    const chunks: Uint8Array[] = [];
    for await (const chunk of b.body!) chunks.push(chunk);
    expect(Buffer.concat(chunks).toString("utf8")).toBe('\uFEFF{"n":1,"s":"ü"}');
    expect(b.bodyUsed).toBe(true);
    await expect(b.text()).rejects.toThrow(TypeError);

    const c = await httpFetch(url);
    expect(new Uint8Array(await c.arrayBuffer()).length).toBe(Buffer.byteLength('\uFEFF{"n":1,"s":"ü"}'));
    await expect(c.json()).rejects.toThrow(TypeError);

    peer.handle((_req, res) => {
      res.writeHead(200, { "content-type": "application/json" });
      res.end("{not json");
    });
    await expect((await httpFetch(url)).json()).rejects.toThrow(SyntaxError);
  });

  it("asks for compression and decodes a gzip body, as fetch does", async () => {
    peer.handle((_req, res) => {
      res.writeHead(200, { "content-encoding": "gzip", "content-type": "text/plain" });
      res.end(gzipSync("hello, compressed"));
    });
    expect(await (await httpFetch(`${peer.url}/z`)).text()).toBe("hello, compressed");
    expect(peer.requests.at(-1)!.headers["accept-encoding"]).toBe("gzip, deflate, br");
  });

  it("answers a 204 with an empty body", async () => {
    peer.handle((_req, res) => {
      res.writeHead(204);
      res.end();
    });
    const res = await httpFetch(`${peer.url}/none`, { method: "DELETE" });
    expect(res.status).toBe(204);
    expect(await res.text()).toBe("");
  });

  it("follows a redirect like fetch", async () => {
    peer.handle((req, res) => {
      if (req.url === "/old") {
        res.writeHead(307, { location: "/new" });
        res.end();
      } else {
        res.writeHead(200);
        res.end(`at ${req.url} with ${JSON.stringify(req.body)}`);
      }
    });
    const res = await httpFetch(`${peer.url}/old`, { method: "POST", body: '{"n":1}', headers: { "content-type": "application/json" } });
    expect(await res.text()).toBe('at /new with {"n":1}');
  });

  it("rejects with the signal's reason when aborted while waiting for the answer", async () => {
    peer.handle(() => {}); // never answers
    const controller = new AbortController();
    const pending = httpFetch(`${peer.url}/hang`, { signal: controller.signal });
    setTimeout(() => controller.abort(), 20);
    const err = await pending.catch((e: unknown) => e);
    expect((err as Error).name).toBe("AbortError");
  });

  it("rejects at once when the signal is already aborted, and sends nothing", async () => {
    const before = peer.requests.length;
    const err = await httpFetch(`${peer.url}/x`, { signal: AbortSignal.abort() }).catch((e: unknown) => e);
    expect((err as Error).name).toBe("AbortError");
    expect(peer.requests.length).toBe(before);
  });

  it("fails like fetch (TypeError with the cause) when nothing listens", async () => {
    const err = await httpFetch("http://127.0.0.1:1/").catch((e: unknown) => e);
    expect(err).toBeInstanceOf(TypeError);
    expect(((err as TypeError).cause as NodeJS.ErrnoException).code).toBe("ECONNREFUSED");
  });
});
