// Longest common subsequence for the LCS command (t_string.c, Redis 7.0).
//
// Redis fills the classic (alen+1) x (blen+1) table, then walks back from the
// bottom-right corner: on equal bytes it takes the byte and moves diagonally;
// otherwise it moves up (i-1) only when that cell is strictly greater than the
// cell to the left, else left (j-1). That tie-breaking decides WHICH common
// subsequence comes out when several exist, and the walk order decides the
// order of IDX matches (from the end of the strings towards the start), so
// both are reproduced exactly here.

export interface LcsMatch {
  /** Inclusive byte range in the first string. */
  readonly a: readonly [number, number];
  /** Inclusive byte range in the second string. */
  readonly b: readonly [number, number];
  readonly length: number;
}

export interface LcsResult {
  /** The common subsequence itself. */
  readonly sequence: Uint8Array;
  readonly matches: readonly LcsMatch[];
}

/**
 * Bytes of the uint32 table Redis would allocate. Redis 7.0 refuses the command
 * ("Insufficient memory, transient memory for LCS exceeds proto-max-bulk-len")
 * when this exceeds proto-max-bulk-len; the command layer checks it first.
 */
export function lcsTableBytes(aLength: number, bLength: number): number {
  return (aLength + 1) * (bLength + 1) * 4;
}

type LengthTable = Uint8Array | Uint16Array | Uint32Array;

/** The narrowest array that holds every LCS length (they never exceed the shorter string). */
function allocateTable(cells: number, maxValue: number): LengthTable {
  if (maxValue <= 0xff) return new Uint8Array(cells);
  if (maxValue <= 0xffff) return new Uint16Array(cells);
  return new Uint32Array(cells);
}

/**
 * LCS a b [IDX] [MINMATCHLEN n]: the subsequence and its matches (contiguous
 * runs in both strings), newest-first as Redis emits them. Matches shorter
 * than minMatchLength are left out (0 keeps all), as MINMATCHLEN does.
 */
export function lcs(a: Uint8Array, b: Uint8Array, minMatchLength = 0): LcsResult {
  const aLength = a.length;
  const bLength = b.length;
  const width = bLength + 1;
  const table = allocateTable((aLength + 1) * width, Math.min(aLength, bLength));
  // Row 0 and column 0 stay 0 (a fresh typed array is zeroed).
  for (let i = 1; i <= aLength; i++) {
    const row = i * width;
    const previousRow = row - width;
    const aByte = a[i - 1];
    for (let j = 1; j <= bLength; j++) {
      if (aByte === b[j - 1]) {
        table[row + j] = table[previousRow + j - 1]! + 1;
      } else {
        const up = table[previousRow + j]!;
        const left = table[row + j - 1]!;
        table[row + j] = up > left ? up : left;
      }
    }
  }

  let remaining = table[aLength * width + bLength]!;
  const sequence = new Uint8Array(remaining);
  const matches: LcsMatch[] = [];
  // The run being extended backwards; aStart === -1 means none is open.
  let aStart = -1;
  let aEnd = 0;
  let bStart = 0;
  let bEnd = 0;
  let i = aLength;
  let j = bLength;
  while (i > 0 && j > 0) {
    let closeRun = false;
    if (a[i - 1] === b[j - 1]) {
      sequence[--remaining] = a[i - 1]!;
      if (aStart === -1) {
        aStart = aEnd = i - 1;
        bStart = bEnd = j - 1;
      } else if (aStart === i && bStart === j) {
        aStart--;
        bStart--;
      } else {
        // Not reachable with this walk (a mismatch step always closes the
        // run first), kept so a run can never silently absorb a gap.
        closeRun = true;
      }
      // A run that reached the start of either string is complete.
      if (aStart === 0 || bStart === 0) closeRun = true;
      i--;
      j--;
    } else {
      const up = table[(i - 1) * width + j]!;
      const left = table[i * width + j - 1]!;
      if (up > left) i--;
      else j--;
      if (aStart !== -1) closeRun = true;
    }
    if (closeRun && aStart !== -1) {
      const length = aEnd - aStart + 1;
      if (minMatchLength <= 0 || length >= minMatchLength) {
        matches.push({ a: [aStart, aEnd], b: [bStart, bEnd], length });
      }
      aStart = -1;
    }
  }
  return { sequence, matches };
}

/**
 * Length of the LCS only (LCS ... LEN), in O(min(alen, blen)) memory instead
 * of the full table. Equal to lcs(a, b).sequence.length.
 */
export function lcsLength(a: Uint8Array, b: Uint8Array): number {
  // Rows over the shorter string keep the working set small.
  const [outer, inner] = a.length >= b.length ? [a, b] : [b, a];
  const innerLength = inner.length;
  let previous = new Uint32Array(innerLength + 1);
  let current = new Uint32Array(innerLength + 1);
  for (let i = 1; i <= outer.length; i++) {
    const outerByte = outer[i - 1];
    for (let j = 1; j <= innerLength; j++) {
      if (outerByte === inner[j - 1]) current[j] = previous[j - 1]! + 1;
      else current[j] = previous[j]! > current[j - 1]! ? previous[j]! : current[j - 1]!;
    }
    const swap = previous;
    previous = current;
    current = swap;
  }
  return previous[innerLength]!;
}
