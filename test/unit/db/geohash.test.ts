// The geohash math on values Redis 7.0.15 gives (the differential tests in
// test/integration/geo.test.ts compare whole replies; these pin the pieces).

import { describe, expect, test } from "bun:test";
import {
  cellScoreRange,
  decodeScore,
  distance,
  estimateStepsByRadius,
  geoScoreText,
  isNoCell,
  neighbors,
  searchCells,
  standardGeohashText,
  type GeoShape,
} from "../../../src/db/geohash.ts";

function position(score: number): [number, number] {
  const xy = new Float64Array(2);
  decodeScore(score, xy);
  return [xy[0]!, xy[1]!];
}

describe("geohash", () => {
  test("GEOADD scores: Redis's example and the edges of the map (bits 52 and 53)", () => {
    expect(geoScoreText(13.361389, 38.115556)).toBe("3479099956230698");
    expect(geoScoreText(15.087269, 37.502669)).toBe("3479447370796909");
    expect(geoScoreText(180, 85.05112878)).toBe("13510798882111488");
    expect(geoScoreText(-180, -85.05112878)).toBe("0");
  });

  test("decoding: the centre of the step-26 cell; any double decodes to some point", () => {
    expect(position(3479099956230698)).toEqual([13.361389338970184, 38.1155563954963]);
    const [longitude, latitude] = position(-1);
    expect(longitude).toBeLessThanOrEqual(180);
    expect(latitude).toBeLessThanOrEqual(85.05112878);
    expect(position(Infinity)).toEqual(position(0));
  });

  test("GEOHASH text", () => {
    expect(standardGeohashText(...position(3479099956230698))).toBe("sqc8b49rny0");
    expect(standardGeohashText(...position(3479447370796909))).toBe("sqdtr74hyu0");
  });

  test("distances: haversine with Redis's earth radius", () => {
    expect(distance(13.361389338970184, 38.1155563954963, 15.087267458438873, 37.50266842333162)).toBeCloseTo(166274.1516, 4);
    expect(distance(0, 10, 0, 11)).toBe(6372797.560856 * Math.abs((11 * Math.PI) / 180 - (10 * Math.PI) / 180));
  });

  test("step estimation", () => {
    expect(estimateStepsByRadius(0, 0)).toBe(26);
    expect(estimateStepsByRadius(1, 0)).toBe(24);
    expect(estimateStepsByRadius(1, 70)).toBe(23);
    expect(estimateStepsByRadius(1, -85)).toBe(22);
    expect(estimateStepsByRadius(Infinity, 0)).toBe(1);
  });

  test("neighbours wrap around; cells beyond the bounding box are dropped", () => {
    const around = neighbors({ bits: 0n, step: 1 });
    expect(around.north).toEqual(around.south);
    const shape: GeoShape = { kind: "radius", longitude: 15.087269, latitude: 37.502669, conversion: 1000, radius: 200, width: 0, height: 0 };
    const cells = searchCells(shape);
    expect(cells.length).toBe(9);
    expect(cells.some(isNoCell)).toBe(true);
    const [min, max] = cellScoreRange(cells[0]!);
    expect(min).toBeLessThan(3479447370796909);
    expect(max).toBeGreaterThan(3479447370796909);
  });
});
