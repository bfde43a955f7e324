import { describe, it, expect } from "vitest";
import { FakeClock } from "../../src/gates/clock.js";

describe("FakeClock", () => {
  it("fires due timers in due order, with now() at each due time", () => {
    const clock = new FakeClock();
    const fired: Array<[string, number]> = [];
    clock.setTimer(() => fired.push(["b", clock.now()]), 20);
    clock.setTimer(() => fired.push(["a", clock.now()]), 10);
    clock.setTimer(() => fired.push(["c", clock.now()]), 20);
    clock.setTimer(() => fired.push(["late", clock.now()]), 100);
    expect(clock.pending()).toBe(4);
    clock.advance(50);
    expect(fired).toEqual([
      ["a", 10],
      ["b", 20],
      ["c", 20],
    ]);
    expect(clock.now()).toBe(50);
    expect(clock.pending()).toBe(1);
  });

  it("fires timers set by a callback within the same advance when they fall due", () => {
    const clock = new FakeClock();
    const fired: number[] = [];
    const tick = (): void => {
      fired.push(clock.now());
      if (fired.length < 5) clock.setTimer(tick, 10);
    };
    clock.setTimer(tick, 10);
    clock.advance(35);
    expect(fired).toEqual([10, 20, 30]);
    clock.advance(100);
    expect(fired).toEqual([10, 20, 30, 40, 50]);
    expect(clock.pending()).toBe(0);
  });

  it("clearTimer cancels a pending timer", () => {
    const clock = new FakeClock();
    let fired = false;
    const h = clock.setTimer(() => (fired = true), 5);
    clock.clearTimer(h);
    clock.advance(10);
    expect(fired).toBe(false);
    expect(clock.pending()).toBe(0);
  });
});
