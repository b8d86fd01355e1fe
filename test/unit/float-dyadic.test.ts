// The exact fast path of INCRBYFLOAT and HINCRBYFLOAT (exactDyadic, exactSumHuman)
// against the long double emulation it stands in for, on random short decimals.

import { describe, expect, test } from "bun:test";
import { exactDyadic, exactSumHuman, formatLongDoubleHuman, LongDouble, parseLongDouble } from "../../src/util/float.ts";
import { seededRandom } from "../helpers/random.ts";

const bytes = (text: string) => Buffer.from(text, "latin1");

/** What the LongDouble path gives for a + b (a null: a missing value, 0). */
function slow(a: string | null, b: string): string {
  const left = a === null ? LongDouble.ZERO : parseLongDouble(bytes(a))!;
  return formatLongDoubleHuman(left.add(parseLongDouble(bytes(b))!));
}

describe("exactDyadic and exactSumHuman", () => {
  test("accept only strings with an exact short binary value", () => {
    expect(exactDyadic(bytes("1.5"))).toEqual({ m: 3, j: 1 });
    expect(exactDyadic(bytes("-0.25"))).toEqual({ m: -1, j: 2 });
    expect(exactDyadic(bytes("100"))).toEqual({ m: 100, j: 0 });
    expect(exactDyadic(bytes("1.5e1"))).toEqual({ m: 15, j: 0 });
    expect(exactDyadic(bytes("2.50000"))).toEqual({ m: 5, j: 1 });
    expect(exactDyadic(bytes(".5"))).toEqual({ m: 1, j: 1 });
    expect(exactDyadic(bytes("5."))).toEqual({ m: 5, j: 0 });
    for (const refused of ["0.1", "inf", "nan", "0x10", " 1", "1 ", "", "1e400", "1.5\0", "abc", "1234567890123456", "1e-20"]) {
      expect({ refused, value: exactDyadic(bytes(refused)) }).toEqual({ refused, value: null });
    }
  });

  test("sums print as the long double emulation prints them", () => {
    const random = seededRandom(20261207);
    const pick = <T>(items: readonly T[]): T => items[Math.floor(random() * items.length)]!;
    const decimal = (): string => {
      const kind = pick(["int", "dyadic", "any", "exp", "zeros"]);
      const sign = random() < 0.3 ? "-" : random() < 0.1 ? "+" : "";
      const whole = String(Math.floor(random() * 10 ** Math.floor(random() * 14)));
      if (kind === "int") return sign + whole;
      if (kind === "dyadic") {
        const places = 1 + Math.floor(random() * 16);
        const numerator = Math.floor(random() * 2 ** places);
        // numerator / 2^places written out exactly: numerator * 5^places over 10^places.
        const fraction = (BigInt(numerator) * 5n ** BigInt(places)).toString().padStart(places, "0");
        return `${sign}${whole}.${fraction}`;
      }
      if (kind === "exp") return `${sign}${Math.floor(random() * 1000) / 8}e${Math.floor(random() * 6) - 2}`;
      if (kind === "zeros") return `${sign}${whole}.${"0".repeat(1 + Math.floor(random() * 5))}`;
      return `${sign}${whole}.${Math.floor(random() * 1000)}`;
    };
    let fast = 0;
    for (let i = 0; i < 20000; i++) {
      const a = random() < 0.1 ? null : decimal();
      const b = decimal();
      const text = exactSumHuman(a === null ? undefined : bytes(a), exactDyadic(bytes(b)));
      if (text === null) continue;
      fast++;
      expect({ a, b, text }).toEqual({ a, b, text: slow(a, b) });
    }
    // Most random draws take the fast path; the rest are compared nowhere, so make sure some did.
    expect(fast).toBeGreaterThan(5000);
  });
});
