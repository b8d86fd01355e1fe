// elapsedMicros: a command's usec as Redis measures it (ustime() - call_timer).

import { expect, test } from "bun:test";
import { elapsedMicros } from "../../../src/util/clock.ts";

test("a command shorter than a microsecond counts 1 when the clock ticked during it, else 0", () => {
  expect(elapsedMicros(10.0002, 10.0006)).toBe(0);
  expect(elapsedMicros(10.0008, 10.0011)).toBe(1);
  expect(elapsedMicros(10.0008, 10.0032)).toBe(3);
});

test("back-to-back commands add up to the whole microseconds they took together", () => {
  // 2,000 commands of 0.3 us each, one starting where the last ended (a pipeline).
  let total = 0;
  let clock = 5.0000004;
  for (let i = 0; i < 2000; i++) {
    const next = clock + 0.0003;
    total += elapsedMicros(clock, next);
    clock = next;
  }
  expect(total).toBe(Math.floor(clock * 1000) - Math.floor(5.0000004 * 1000));
  expect(total).toBeGreaterThanOrEqual(599);
  expect(total).toBeLessThanOrEqual(600);
});
