// printf's %f (Redis's error texts) and fixedpoint_d2string (GEO distances).

import { expect, test } from "bun:test";
import { formatFixedPoint, formatPrintfFixed } from "../../../src/util/float.ts";

test("%f: exact value, ties to even, inf and the sign of zero", () => {
  expect(formatPrintfFixed(200)).toBe("200.000000");
  expect(formatPrintfFixed(0.0078125)).toBe("0.007812");
  expect(formatPrintfFixed(0.0234375)).toBe("0.023438");
  expect(formatPrintfFixed(-0)).toBe("-0.000000");
  expect(formatPrintfFixed(-1e-9)).toBe("-0.000000");
  expect(formatPrintfFixed(Infinity)).toBe("inf");
  expect(formatPrintfFixed(-Infinity)).toBe("-inf");
  expect(formatPrintfFixed(1e300).slice(0, 20)).toBe("10000000000000000525");
  expect(formatPrintfFixed(1e22)).toBe("10000000000000000000000.000000");
  expect(formatPrintfFixed(0.1)).toBe("0.100000");
});

test("fixedpoint_d2string: llrint rounding and zero padding", () => {
  expect(formatFixedPoint(0, 4)).toBe("0.0000");
  expect(formatFixedPoint(166274.15156960033, 4)).toBe("166274.1516");
  expect(formatFixedPoint(0.00005, 4)).toBe("0.0000");
  // 0.00015 * 10^4 is 1.4999999999999998 in a double.
  expect(formatFixedPoint(0.00015, 4)).toBe("0.0001");
  // Exact ties: 312.5 and 937.5 go to the even neighbour.
  expect(formatFixedPoint(0.03125, 4)).toBe("0.0312");
  expect(formatFixedPoint(0.09375, 4)).toBe("0.0938");
  expect(formatFixedPoint(0.5, 4)).toBe("0.5000");
  expect(formatFixedPoint(12.3, 4)).toBe("12.3000");
  expect(formatFixedPoint(-1.25, 4)).toBe("-1.2500");
  expect(formatFixedPoint(NaN, 4)).toBe("-922337203685477.5808");
});
