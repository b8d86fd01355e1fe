// Redis's pqsort: a partial quicksort (Bentley & McIlroy's "Engineering a Sort
// Function", by way of NetBSD's qsort) that only finishes the partitions overlapping
// the ranks [lrange, rrange]. GEORADIUS ... COUNT n sorts its matches with it when n is
// below the number of matches, and quicksort is not stable: which of several equally
// distant members come first depends on exactly these partition steps, so they are
// reproduced here step for step (median-of-three / ninther pivots, the equal-key runs
// swapped to the middle, insertion sort below 7 elements).

type Compare<T> = (a: T, b: T) => number;

function swap<T>(items: T[], i: number, j: number): void {
  const t = items[i]!;
  items[i] = items[j]!;
  items[j] = t;
}

/** Swaps the n elements from i with the n from j, pairwise (C's vecswap). */
function vecswap<T>(items: T[], i: number, j: number, n: number): void {
  for (let k = 0; k < n; k++) swap(items, i + k, j + k);
}

function med3<T>(items: T[], a: number, b: number, c: number, compare: Compare<T>): number {
  const A = items[a]!;
  const B = items[b]!;
  const C = items[c]!;
  return compare(A, B) < 0
    ? compare(B, C) < 0
      ? b
      : compare(A, C) < 0
        ? c
        : a
    : compare(B, C) > 0
      ? b
      : compare(A, C) < 0
        ? a
        : c;
}

/** Sorts items[start, start + n) as far as ranks [lrange, rrange] (absolute indexes) need. */
function partialSort<T>(items: T[], start: number, n: number, compare: Compare<T>, lrange: number, rrange: number): void {
  for (;;) {
    if (n < 7) {
      for (let m = start + 1; m < start + n; m++) {
        for (let l = m; l > start && compare(items[l - 1]!, items[l]!) > 0; l--) swap(items, l, l - 1);
      }
      return;
    }
    let pm = start + Math.floor(n / 2);
    if (n > 7) {
      let pl = start;
      let pn = start + n - 1;
      if (n > 40) {
        const d = Math.floor(n / 8);
        pl = med3(items, pl, pl + d, pl + 2 * d, compare);
        pm = med3(items, pm - d, pm, pm + d, compare);
        pn = med3(items, pn - 2 * d, pn - d, pn, compare);
      }
      pm = med3(items, pl, pm, pn, compare);
    }
    swap(items, start, pm);
    let pa = start + 1;
    let pb = pa;
    let pc = start + n - 1;
    let pd = pc;
    for (;;) {
      let result: number;
      while (pb <= pc && (result = compare(items[pb]!, items[start]!)) <= 0) {
        if (result === 0) {
          swap(items, pa, pb);
          pa++;
        }
        pb++;
      }
      while (pb <= pc && (result = compare(items[pc]!, items[start]!)) >= 0) {
        if (result === 0) {
          swap(items, pc, pd);
          pd--;
        }
        pc--;
      }
      if (pb > pc) break;
      swap(items, pb, pc);
      pb++;
      pc--;
    }
    const end = start + n;
    let r = Math.min(pa - start, pb - pa);
    vecswap(items, start, pb - r, r);
    r = Math.min(pd - pc, end - pd - 1);
    vecswap(items, pb, end - r, r);
    // Recurse into the "less" part and iterate on the "greater" part, each only when it
    // overlaps the wanted ranks.
    r = pb - pa;
    if (r > 1 && overlaps(start, start + r - 1, lrange, rrange)) partialSort(items, start, r, compare, lrange, rrange);
    r = pd - pc;
    if (r <= 1) return;
    start = end - r;
    n = r;
    if (!overlaps(start, start + n - 1, lrange, rrange)) return;
  }
}

function overlaps(first: number, last: number, lrange: number, rrange: number): boolean {
  return !((lrange < first && rrange < first) || (lrange > last && rrange > last));
}

/** pqsort: orders `items` so that ranks lrange..rrange hold what a full sort puts there. */
export function pqsort<T>(items: T[], compare: Compare<T>, lrange: number, rrange: number): void {
  partialSort(items, 0, items.length, compare, lrange, rrange);
}
