// Redis's partial quicksort: the wanted ranks hold what a full sort puts there, the rest
// is a permutation. (Its exact order among equal keys is compared with Redis's through
// GEORADIUS ... COUNT in test/integration/geo.test.ts, and was checked against pqsort.c.)

import { expect, test } from "bun:test";
import { pqsort } from "../../../src/util/pqsort.ts";
import { seededRandom } from "../../helpers/random.ts";

test("ranks 0..r are sorted, nothing is lost", () => {
  const random = seededRandom(7);
  for (let round = 0; round < 500; round++) {
    const n = 1 + Math.floor(random() * 150);
    const values = Array.from({ length: n }, () => Math.floor(random() * 20));
    const rrange = Math.floor(random() * n);
    const items = values.map((value, id) => ({ value, id }));
    pqsort(items, (a, b) => a.value - b.value, 0, rrange);
    const sorted = [...values].sort((a, b) => a - b);
    expect(items.slice(0, rrange + 1).map((item) => item.value)).toEqual(sorted.slice(0, rrange + 1));
    expect(items.map((item) => item.id).sort((a, b) => a - b)).toEqual(values.map((_, id) => id));
  }
});
