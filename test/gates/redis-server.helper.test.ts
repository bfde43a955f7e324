import { expect, it } from "vitest";
import { describeRedis, RespError, startRedisServer } from "../helpers/redis-server.js";

describeRedis("the test helper's redis-server", () => {
  it("answers on loopback without persistence, and restarts empty on the same port", async () => {
    const redis = await startRedisServer();
    try {
      expect(await redis.command("PING")).toBe("PONG");
      expect(await redis.command("CONFIG", "GET", "save")).toEqual(["save", ""]);
      expect(await redis.command("CONFIG", "GET", "appendonly")).toEqual(["appendonly", "no"]);
      expect(await redis.command("CONFIG", "GET", "bind")).toEqual(["bind", "127.0.0.1"]);
      await redis.command("SET", "k", "v");
      const { port, pid } = redis;
      await redis.kill9();
      await expect(redis.command("PING")).rejects.toThrow(/ECONNREFUSED/);
      await redis.restart();
      expect(redis.port).toBe(port);
      expect(redis.pid).not.toBe(pid);
      expect(await redis.command("GET", "k")).toBeNull();
    } finally {
      await redis.close();
    }
  });

  it("requires the password when given one: url carries it, urlWithoutPassword does not", async () => {
    const redis = await startRedisServer({ password: "s3cret/p@ss" });
    try {
      expect(redis.url).toBe(`redis://:${encodeURIComponent("s3cret/p@ss")}@127.0.0.1:${redis.port}`);
      expect(redis.urlWithoutPassword).toBe(`redis://127.0.0.1:${redis.port}`);
      expect(await redis.command("PING")).toBe("PONG");
      expect(await redis.command("DEBUG", "SLEEP", "0")).toBe("OK");
      await redis.stop();
      await redis.restart();
      expect(await redis.command("PING")).toBe("PONG");
    } finally {
      await redis.close();
    }
    expect(new RespError("x")).toBeInstanceOf(Error);
  });
});
