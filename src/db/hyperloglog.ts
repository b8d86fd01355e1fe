// HyperLogLog values stored byte for byte as Redis 7.0 stores them (hyperloglog.c).
//
// An HLL is an ordinary string value, so it travels through GET/SET, DUMP/RESTORE,
// RDB and replication untouched; both servers must read each other's bytes and give
// the same PFCOUNT. Layout (16-byte header, then registers):
//
//   "HYLL" | encoding (0 dense, 1 sparse) | 3 unused bytes | cached cardinality
//   (uint64 little endian; the top bit of its last byte set = cache is stale)
//
// Dense: 16384 registers of 6 bits, packed from the least significant bit of each
// byte upward (12288 bytes). Sparse: run-length opcodes over the same registers:
//   ZERO  00xxxxxx           1..64 registers at 0
//   XZERO 01xxxxxx yyyyyyyy  1..16384 registers at 0 (14-bit length - 1, big endian)
//   VAL   1vvvvvxx           1..4 registers at value 1..32
// A sparse value is promoted to dense when a register needs a value above 32 or when
// an edit would grow it past hll-sparse-max-bytes.
//
// The sparse editor below reproduces Redis's split-and-merge edits step by step
// (including how far its merge pass looks), because a different but equivalent
// opcode sequence would make GET differ from Redis's.
//
// Nothing here mutates its inputs: a stored value may be shared with a snapshot in
// progress, so every change is made on a copy and returned.

export const HLL_INVALID_ERR = "-INVALIDOBJ Corrupted HLL object detected";
/** What Redis replies when a string key does not hold a well-formed HLL header. */
export const HLL_WRONGTYPE_ERR = "-WRONGTYPE Key is not a valid HyperLogLog string value.";
/** Default of the hll-sparse-max-bytes config. */
export const HLL_SPARSE_MAX_BYTES_DEFAULT = 3000;

const HLL_P = 14;
const HLL_Q = 64 - HLL_P;
const HLL_REGISTERS = 1 << HLL_P;
const HLL_P_MASK = HLL_REGISTERS - 1;
const HLL_REGISTER_MAX = 63;
const HLL_HDR_SIZE = 16;
/** Byte length of every dense HLL (header + 16384 * 6 bits). */
export const HLL_DENSE_SIZE = HLL_HDR_SIZE + (HLL_REGISTERS * 6) / 8;
const HLL_DENSE = 0;
const HLL_SPARSE = 1;
const HLL_MAX_ENCODING = 1;
const ENCODING_OFFSET = 4;
const CARD_OFFSET = 8;
const CACHE_FLAG_OFFSET = 15;
const CACHE_STALE_BIT = 0x80;

const SPARSE_VAL_MAX_VALUE = 32;
const SPARSE_VAL_MAX_LEN = 4;
const SPARSE_ZERO_MAX_LEN = 64;
/** 0.5 / ln(2): the estimator's bias constant as m goes to infinity. */
const HLL_ALPHA_INF = 0.72134752044448170368;

/**
 * The reply-ready failure of an HLL operation. `message` is HLL_WRONGTYPE_ERR or
 * HLL_INVALID_ERR (with its leading '-', as the RESP error line starts).
 *
 * `partialValue` is set when PFADD had already changed registers before meeting the
 * corruption: Redis edits the stored value in place, so those changes stay in the key
 * even though the command replies with an error. Store it to behave exactly alike.
 */
export class HllError extends Error {
  readonly partialValue: Uint8Array | undefined;
  constructor(reply: string, partialValue?: Uint8Array) {
    super(reply);
    this.name = "HllError";
    this.partialValue = partialValue;
  }
}

// ---------------------------------------------------------------------------
// Hashing: MurmurHash64A (seed 0xadc83b19) on 32-bit halves. BigInt would be
// several times slower and PFADD hashes every element.

const MURMUR_M_HI = 0xc6a4a793;
const MURMUR_M_LO = 0x5bd1e995;
const MURMUR_M_LO_LOW16 = MURMUR_M_LO & 0xffff;
const MURMUR_M_LO_HIGH16 = MURMUR_M_LO >>> 16;
const MURMUR_SEED = 0xadc83b19;

// Results of multiplyByM / hashElement, kept in module scope so the hot path allocates nothing.
// Safe as module state: each is read back right after the call that wrote it, and these
// leaf functions call out to nothing, so no other hashing can run in between.
let productHi = 0;
let productLo = 0;

/** (hi:lo) * m mod 2^64, left in productHi/productLo. */
function multiplyByM(hi: number, lo: number): void {
  const a0 = lo & 0xffff;
  const a1 = lo >>> 16;
  const p00 = a0 * MURMUR_M_LO_LOW16;
  const p01 = a0 * MURMUR_M_LO_HIGH16;
  const p10 = a1 * MURMUR_M_LO_LOW16;
  const p11 = a1 * MURMUR_M_LO_HIGH16;
  const middle = (p00 >>> 16) + (p01 & 0xffff) + (p10 & 0xffff);
  productLo = ((middle << 16) | (p00 & 0xffff)) >>> 0;
  productHi =
    (p11 + (p01 >>> 16) + (p10 >>> 16) + (middle >>> 16) + Math.imul(hi, MURMUR_M_LO) + Math.imul(lo, MURMUR_M_HI)) >>>
    0;
}

let hashHi = 0;
let hashLo = 0;

function hashElement(data: Uint8Array): void {
  const len = data.length;
  multiplyByM(0, len >>> 0);
  let hHi = productHi;
  let hLo = (productLo ^ MURMUR_SEED) >>> 0;
  const blockEnd = len - (len & 7);
  for (let i = 0; i < blockEnd; i += 8) {
    const kLo = (data[i]! | (data[i + 1]! << 8) | (data[i + 2]! << 16) | (data[i + 3]! << 24)) >>> 0;
    const kHi = (data[i + 4]! | (data[i + 5]! << 8) | (data[i + 6]! << 16) | (data[i + 7]! << 24)) >>> 0;
    multiplyByM(kHi, kLo);
    // k ^= k >> 47: only the high word's top 17 bits reach the low word.
    multiplyByM(productHi, (productLo ^ (productHi >>> 15)) >>> 0);
    hHi = (hHi ^ productHi) >>> 0;
    hLo = (hLo ^ productLo) >>> 0;
    multiplyByM(hHi, hLo);
    hHi = productHi;
    hLo = productLo;
  }
  const tail = len & 7;
  if (tail > 0) {
    for (let i = tail - 1; i >= 0; i--) {
      const byte = data[blockEnd + i]!;
      if (i >= 4) hHi = (hHi ^ (byte << ((i - 4) * 8))) >>> 0;
      else hLo = (hLo ^ (byte << (i * 8))) >>> 0;
    }
    multiplyByM(hHi, hLo);
    hHi = productHi;
    hLo = productLo;
  }
  hLo = (hLo ^ (hHi >>> 15)) >>> 0;
  multiplyByM(hHi, hLo);
  hHi = productHi;
  hLo = (productLo ^ (productHi >>> 15)) >>> 0;
  hashHi = hHi;
  hashLo = hLo;
}

/** MurmurHash64A(data, seed 0xadc83b19) as Redis computes it, as an unsigned bigint (for tests and debugging). */
export function murmurHash64A(data: Uint8Array): bigint {
  hashElement(data);
  return (BigInt(hashHi) << 32n) | BigInt(hashLo);
}

// hllPatLen results: the register an element maps to and the length of its 0...01 run
// (module state for the reason productHi/productLo are: read right after patternOf).
let patternIndex = 0;
let patternCount = 0;

/**
 * The low 14 bits of the hash pick the register; the count is 1 + the number of
 * trailing zeros in the other 50 bits, with a sentinel bit at position 50 so a hash
 * of all zeros gives 51.
 */
function patternOf(element: Uint8Array): void {
  hashElement(element);
  patternIndex = hashLo & HLL_P_MASK;
  const bits14to45 = ((hashLo >>> HLL_P) | ((hashHi & 0x3fff) << 18)) >>> 0;
  if (bits14to45 !== 0) {
    patternCount = 32 - Math.clz32(bits14to45 & -bits14to45);
  } else {
    const bits46to63WithSentinel = (hashHi >>> 14) | (1 << 18);
    patternCount = 32 + 32 - Math.clz32(bits46to63WithSentinel & -bits46to63WithSentinel);
  }
}

// ---------------------------------------------------------------------------
// Header and dense registers.

/**
 * Redis's isHLLObjectOrReply for a string value: long enough for a header, "HYLL"
 * magic, a known encoding, and the exact dense length when dense. The sparse body is
 * not checked here; corruption there surfaces as INVALIDOBJ when it is read.
 */
export function hllIsValid(value: Uint8Array): boolean {
  if (value.length < HLL_HDR_SIZE) return false;
  if (value[0] !== 0x48 || value[1] !== 0x59 || value[2] !== 0x4c || value[3] !== 0x4c) return false;
  const encoding = value[ENCODING_OFFSET]!;
  if (encoding > HLL_MAX_ENCODING) return false;
  if (encoding === HLL_DENSE && value.length !== HLL_DENSE_SIZE) return false;
  return true;
}

function assertValidHeader(value: Uint8Array): void {
  if (!hllIsValid(value)) throw new HllError(HLL_WRONGTYPE_ERR);
}

function denseGetRegister(registers: Uint8Array, regnum: number): number {
  const bitOffset = regnum * 6;
  const byte = HLL_HDR_SIZE + (bitOffset >>> 3);
  const firstBit = bitOffset & 7;
  // firstBit is 0, 2, 4 or 6: only 4 and 6 spill into the next byte (and the last
  // register, at bit 2, never reads past the end).
  if (firstBit <= 2) return (registers[byte]! >>> firstBit) & HLL_REGISTER_MAX;
  return ((registers[byte]! >>> firstBit) | (registers[byte + 1]! << (8 - firstBit))) & HLL_REGISTER_MAX;
}

function denseSetRegister(registers: Uint8Array, regnum: number, value: number): void {
  const bitOffset = regnum * 6;
  const byte = HLL_HDR_SIZE + (bitOffset >>> 3);
  const firstBit = bitOffset & 7;
  registers[byte] = (registers[byte]! & ~(HLL_REGISTER_MAX << firstBit)) | (value << firstBit);
  if (firstBit > 2) {
    const spill = 8 - firstBit;
    registers[byte + 1] = (registers[byte + 1]! & ~(HLL_REGISTER_MAX >>> spill)) | (value >>> spill);
  }
}

function invalidateCache(value: Uint8Array): void {
  value[CACHE_FLAG_OFFSET] = value[CACHE_FLAG_OFFSET]! | CACHE_STALE_BIT;
}

/**
 * A new empty HLL: sparse, a single XZERO covering all registers.
 *
 * Redis's createHLLObject leaves the cache marked valid (cardinality 0), but both
 * commands that create a key (PFADD, PFMERGE) mark it stale before replying, even
 * with nothing added, so the value handed out here is already in that final state.
 * PFADD on a missing key replies 1 whatever hllAdd reports as `changed`.
 */
export function hllCreateSparse(): Uint8Array {
  const value = createSparseWithValidCache();
  invalidateCache(value);
  return value;
}

function createSparseWithValidCache(): Uint8Array {
  const value = new Uint8Array(HLL_HDR_SIZE + 2);
  value.set([0x48, 0x59, 0x4c, 0x4c, HLL_SPARSE]);
  const lengthMinusOne = HLL_REGISTERS - 1;
  value[HLL_HDR_SIZE] = (lengthMinusOne >>> 8) | 0x40;
  value[HLL_HDR_SIZE + 1] = lengthMinusOne & 0xff;
  return value;
}

// ---------------------------------------------------------------------------
// Sparse representation.

/**
 * A value being edited, mirroring an sds string: `bytes` has room beyond `length`,
 * and bytes[length] plays the sds terminator (0 after every length change), which
 * Redis reads when a truncated XZERO sits at the very end of a corrupted value.
 */
interface HllWorkingCopy {
  bytes: Uint8Array;
  length: number;
  dense: boolean;
}

function workingCopyOf(value: Uint8Array): HllWorkingCopy {
  const dense = value[ENCODING_OFFSET] === HLL_DENSE;
  const bytes = new Uint8Array(dense ? value.length : value.length + 64);
  bytes.set(value);
  return { bytes, length: value.length, dense };
}

function finishedValue(work: HllWorkingCopy): Uint8Array {
  return work.bytes.slice(0, work.length);
}

function ensureRoom(work: HllWorkingCopy, extra: number): void {
  const needed = work.length + extra;
  if (needed <= work.bytes.length) return;
  const grown = new Uint8Array(Math.max(needed, work.bytes.length * 2));
  grown.set(work.bytes);
  work.bytes = grown;
}

/** Redis's hllSparseToDense; null when the opcodes do not cover exactly 16384 registers. */
function sparseToDense(sparse: Uint8Array, sparseLength: number): Uint8Array | null {
  const dense = new Uint8Array(HLL_DENSE_SIZE);
  // The whole header carries over: magic, unused bytes and the cached cardinality.
  dense.set(sparse.subarray(0, HLL_HDR_SIZE));
  dense[ENCODING_OFFSET] = HLL_DENSE;
  let index = 0;
  let p = HLL_HDR_SIZE;
  while (p < sparseLength) {
    const op = sparse[p]!;
    if ((op & 0xc0) === 0) {
      index += (op & 0x3f) + 1;
      p++;
    } else if ((op & 0xc0) === 0x40) {
      index += (((op & 0x3f) << 8) | sparse[p + 1]!) + 1;
      p += 2;
    } else {
      let runLength = (op & 0x3) + 1;
      const registerValue = ((op >>> 2) & 0x1f) + 1;
      if (runLength + index > HLL_REGISTERS) break;
      while (runLength-- > 0) denseSetRegister(dense, index++, registerValue);
      p++;
    }
  }
  return index === HLL_REGISTERS ? dense : null;
}

/** Where a sparse register split is assembled before it is copied into the value (per-call scratch of sparseSet). */
const SPLIT_SEQUENCE = new Uint8Array(5);

function valOpcode(registerValue: number, runLength: number): number {
  return 0x80 | ((registerValue - 1) << 2) | (runLength - 1);
}

/** Writes a ZERO or XZERO run of `runLength` registers at SPLIT_SEQUENCE[at]; returns the next position. */
function writeZeroRun(at: number, runLength: number): number {
  if (runLength > SPARSE_ZERO_MAX_LEN) {
    const lengthMinusOne = runLength - 1;
    SPLIT_SEQUENCE[at] = (lengthMinusOne >>> 8) | 0x40;
    SPLIT_SEQUENCE[at + 1] = lengthMinusOne & 0xff;
    return at + 2;
  }
  SPLIT_SEQUENCE[at] = runLength - 1;
  return at + 1;
}

const SET_UNCHANGED = 0;
const SET_CHANGED = 1;
const SET_CORRUPT = -1;
type SetResult = typeof SET_UNCHANGED | typeof SET_CHANGED | typeof SET_CORRUPT;

/**
 * Redis's hllSparseSet: raise register `index` to `count` if lower, splitting the
 * opcode that covers it, then merging equal neighbouring VALs among the (at most five)
 * opcodes from the one before it. Promotes `work` to dense when the value needs more
 * than 32 or the value would grow past sparseMaxBytes.
 */
function sparseSet(work: HllWorkingCopy, index: number, count: number, sparseMaxBytes: number): SetResult {
  if (count > SPARSE_VAL_MAX_VALUE) return promoteAndSet(work, index, count);

  // The split writes at most 5 bytes over a 1-byte opcode that may sit at the end.
  ensureRoom(work, 8);
  const bytes = work.bytes;
  const sparseStart = HLL_HDR_SIZE;
  let end = work.length;

  // Step 1: find the opcode covering `index`.
  let p = sparseStart;
  let first = 0;
  let previous = -1;
  let span = 0;
  while (p < end) {
    const op = bytes[p]!;
    let opLength = 1;
    if ((op & 0xc0) === 0) {
      span = (op & 0x3f) + 1;
    } else if (op & 0x80) {
      span = (op & 0x3) + 1;
    } else {
      span = (((op & 0x3f) << 8) | bytes[p + 1]!) + 1;
      opLength = 2;
    }
    if (index <= first + span - 1) break;
    previous = p;
    p += opLength;
    first += span;
  }
  if (span === 0 || p >= end) return SET_CORRUPT;

  const op = bytes[p]!;
  const isXzero = (op & 0xc0) === 0x40;
  const isZero = (op & 0xc0) === 0;
  const isVal = !isXzero && !isZero;
  let next = isXzero ? p + 2 : p + 1;
  if (next >= end) next = -1;
  const runLength = isZero ? (op & 0x3f) + 1 : isXzero ? (((op & 0x3f) << 8) | bytes[p + 1]!) + 1 : (op & 0x3) + 1;

  let edited = false;
  if (isVal) {
    const oldCount = ((op >>> 2) & 0x1f) + 1;
    if (oldCount >= count) return SET_UNCHANGED;
    if (runLength === 1) {
      bytes[p] = valOpcode(count, 1);
      edited = true;
    }
  } else if (isZero && runLength === 1) {
    bytes[p] = valOpcode(count, 1);
    edited = true;
  }

  if (!edited) {
    // Step 2: split the covering opcode into [before] VAL(count,1) [after].
    const last = first + span - 1;
    let sequenceLength = 0;
    if (isZero || isXzero) {
      if (index !== first) sequenceLength = writeZeroRun(sequenceLength, index - first);
      SPLIT_SEQUENCE[sequenceLength++] = valOpcode(count, 1);
      if (index !== last) sequenceLength = writeZeroRun(sequenceLength, last - index);
    } else {
      const currentValue = ((op >>> 2) & 0x1f) + 1;
      if (index !== first) SPLIT_SEQUENCE[sequenceLength++] = valOpcode(currentValue, index - first);
      SPLIT_SEQUENCE[sequenceLength++] = valOpcode(count, 1);
      if (index !== last) SPLIT_SEQUENCE[sequenceLength++] = valOpcode(currentValue, last - index);
    }

    // Step 3: put the sequence in place of the old opcode.
    const oldLength = isXzero ? 2 : 1;
    const delta = sequenceLength - oldLength;
    if (delta > 0 && work.length + delta > sparseMaxBytes) return promoteAndSet(work, index, count);
    if (delta !== 0 && next !== -1) bytes.copyWithin(next + delta, next, end);
    work.length += delta;
    bytes[work.length] = 0;
    // Written after the terminator on purpose: Redis does the same, which matters
    // only for a truncated XZERO at the end of a corrupted value.
    bytes.set(SPLIT_SEQUENCE.subarray(0, sequenceLength), p);
    end += delta;
  }

  // Step 4: merge adjacent VALs of equal value, scanning at most five opcodes.
  p = previous !== -1 ? previous : sparseStart;
  let scanBudget = 5;
  while (p < end && scanBudget-- !== 0) {
    const current = bytes[p]!;
    if ((current & 0xc0) === 0x40) {
      p += 2;
      continue;
    }
    if ((current & 0xc0) === 0) {
      p++;
      continue;
    }
    if (p + 1 < end && bytes[p + 1]! & 0x80) {
      const following = bytes[p + 1]!;
      const value = ((current >>> 2) & 0x1f) + 1;
      if (value === ((following >>> 2) & 0x1f) + 1) {
        const mergedLength = (current & 0x3) + 1 + (following & 0x3) + 1;
        if (mergedLength <= SPARSE_VAL_MAX_LEN) {
          bytes[p + 1] = valOpcode(value, mergedLength);
          bytes.copyWithin(p, p + 1, end + 1);
          work.length--;
          bytes[work.length] = 0;
          end--;
          continue;
        }
      }
    }
    p++;
  }

  invalidateCache(bytes);
  return SET_CHANGED;
}

function promoteAndSet(work: HllWorkingCopy, index: number, count: number): SetResult {
  const dense = sparseToDense(work.bytes, work.length);
  if (dense === null) return SET_CORRUPT;
  work.bytes = dense;
  work.length = dense.length;
  work.dense = true;
  // A promotion only happens because this register must rise, so the set always changes it.
  denseSetRegister(dense, index, count);
  return SET_CHANGED;
}

function denseSetIfGreater(registers: Uint8Array, index: number, count: number): boolean {
  if (count <= denseGetRegister(registers, index)) return false;
  denseSetRegister(registers, index, count);
  return true;
}

// ---------------------------------------------------------------------------
// PFADD

/**
 * PFADD's register updates on an existing HLL (after hllIsValid; on a missing key
 * start from hllCreateSparse()). Returns the input itself when no register changed,
 * otherwise a new value with the cache marked stale. `updatedElements` counts the
 * elements that raised a register: PFADD adds that many to the dirty counter.
 * Throws HllError: WRONGTYPE for a bad header, INVALIDOBJ for a corrupted sparse
 * body (see HllError.partialValue).
 */
export function hllAdd(
  value: Uint8Array,
  elements: Uint8Array[],
  sparseMaxBytes: number,
): { value: Uint8Array; changed: boolean; updatedElements: number } {
  assertValidHeader(value);
  let updatedElements = 0;
  if (value[ENCODING_OFFSET] === HLL_DENSE) {
    let updated: Uint8Array | null = null;
    for (const element of elements) {
      patternOf(element);
      if (patternCount <= denseGetRegister(updated ?? value, patternIndex)) continue;
      updated ??= new Uint8Array(value);
      denseSetRegister(updated, patternIndex, patternCount);
      updatedElements++;
    }
    if (updated === null) return { value, changed: false, updatedElements };
    invalidateCache(updated);
    return { value: updated, changed: true, updatedElements };
  }

  const work = workingCopyOf(value);
  for (const element of elements) {
    patternOf(element);
    if (work.dense) {
      if (denseSetIfGreater(work.bytes, patternIndex, patternCount)) updatedElements++;
      continue;
    }
    const result = sparseSet(work, patternIndex, patternCount, sparseMaxBytes);
    if (result === SET_CORRUPT) throw new HllError(HLL_INVALID_ERR, updatedElements > 0 ? finishedValue(work) : undefined);
    if (result === SET_CHANGED) updatedElements++;
  }
  if (updatedElements === 0) return { value, changed: false, updatedElements };
  invalidateCache(work.bytes);
  return { value: finishedValue(work), changed: true, updatedElements };
}

// ---------------------------------------------------------------------------
// PFCOUNT

/** A cardinality as Redis replies it (a signed 64-bit integer): a number when exact in a double, else a bigint. */
export type HllCardinality = number | bigint;

const TWO_POW_53 = 2 ** 53;
const TWO_POW_63 = 2 ** 63;

function histogramOfDense(value: Uint8Array, histogram: Int32Array): void {
  for (let regnum = 0; regnum < HLL_REGISTERS; regnum++) histogram[denseGetRegister(value, regnum)]!++;
}

/** Returns false when the opcodes do not cover exactly 16384 registers. */
function histogramOfSparse(value: Uint8Array, histogram: Int32Array): boolean {
  let index = 0;
  let p = HLL_HDR_SIZE;
  const end = value.length;
  while (p < end) {
    const op = value[p]!;
    if ((op & 0xc0) === 0) {
      const runLength = (op & 0x3f) + 1;
      index += runLength;
      histogram[0]! += runLength;
      p++;
    } else if ((op & 0xc0) === 0x40) {
      // A truncated XZERO at the end reads the sds terminator, a zero.
      const runLength = (((op & 0x3f) << 8) | (value[p + 1] ?? 0)) + 1;
      index += runLength;
      histogram[0]! += runLength;
      p += 2;
    } else {
      const runLength = (op & 0x3) + 1;
      index += runLength;
      histogram[((op >>> 2) & 0x1f) + 1]! += runLength;
      p++;
    }
  }
  return index === HLL_REGISTERS;
}

// Ertl, "New cardinality estimation algorithms for HyperLogLog sketches" (arXiv:1702.01284).
function hllSigma(x: number): number {
  if (x === 1) return Infinity;
  let previous: number;
  let y = 1;
  let z = x;
  do {
    x *= x;
    previous = z;
    z += x * y;
    y += y;
  } while (previous !== z);
  return z;
}

function hllTau(x: number): number {
  if (x === 0 || x === 1) return 0;
  let previous: number;
  let y = 1;
  let z = 1 - x;
  do {
    x = Math.sqrt(x);
    previous = z;
    y *= 0.5;
    // C's pow(d, 2) is compiled to d * d; Math.pow is not guaranteed to be that exact.
    const d = 1 - x;
    z -= d * d * y;
  } while (previous !== z);
  return z / 3;
}

/**
 * Redis's estimator over a register histogram. Registers above 51 (possible only in a
 * hand-made dense value) fall outside the bins it reads, exactly as in Redis.
 * Returns the uint64 Redis computes: llroundl of a double, where out-of-range
 * results (infinite or >= 2^63) become 0x8000000000000000 as on x86-64.
 */
function estimateFromHistogram(histogram: Int32Array): number | bigint {
  const m = HLL_REGISTERS;
  let z = m * hllTau((m - histogram[HLL_Q + 1]!) / m);
  for (let j = HLL_Q; j >= 1; --j) {
    z += histogram[j]!;
    z *= 0.5;
  }
  z += m * hllSigma(histogram[0]! / m);
  const estimate = (HLL_ALPHA_INF * m * m) / z;
  if (!(estimate < TWO_POW_63)) return 1n << 63n;
  // llroundl rounds half away from zero; for a positive value that is Math.round.
  const rounded = Math.round(estimate);
  return rounded < TWO_POW_53 ? rounded : BigInt(rounded);
}

/** The unsigned 64-bit cardinality as Redis's reply (a signed long long) shows it. */
function asReplyInteger(card: number | bigint): HllCardinality {
  if (typeof card === "number") return card;
  return BigInt.asIntN(64, card);
}

function readCachedCardinality(value: Uint8Array): number | bigint {
  const view = new DataView(value.buffer, value.byteOffset + CARD_OFFSET, 8);
  const lo = view.getUint32(0, true);
  const hi = view.getUint32(4, true);
  if (hi < 0x200000) return hi * 2 ** 32 + lo;
  return (BigInt(hi) << 32n) | BigInt(lo);
}

function writeCachedCardinality(value: Uint8Array, card: number | bigint): void {
  const view = new DataView(value.buffer, value.byteOffset + CARD_OFFSET, 8);
  view.setBigUint64(0, typeof card === "number" ? BigInt(card) : card, true);
}

/**
 * PFCOUNT. One value (PFCOUNT key): the cached cardinality when its stale flag is
 * clear, otherwise a fresh estimate and `updatedCache`, the value with the estimate
 * written back, which the caller stores (Redis writes it to the key, signals the key
 * modified and counts a dirty change). Several values: the cardinality of their
 * union, as hllCountUnion. Throws HllError (WRONGTYPE or INVALIDOBJ).
 */
export function hllCount(values: Uint8Array[]): { count: HllCardinality; updatedCache?: Uint8Array } {
  if (values.length !== 1) return { count: hllCountUnion(values) };
  const value = values[0]!;
  assertValidHeader(value);
  if ((value[CACHE_FLAG_OFFSET]! & CACHE_STALE_BIT) === 0) {
    return { count: asReplyInteger(readCachedCardinality(value)) };
  }
  const histogram = new Int32Array(64);
  if (value[ENCODING_OFFSET] === HLL_DENSE) histogramOfDense(value, histogram);
  else if (!histogramOfSparse(value, histogram)) throw new HllError(HLL_INVALID_ERR);
  const card = estimateFromHistogram(histogram);
  const updatedCache = new Uint8Array(value);
  writeCachedCardinality(updatedCache, card);
  return { count: asReplyInteger(card), updatedCache };
}

/**
 * PFCOUNT with several keys: the union's cardinality, computed from scratch; caches
 * are neither read nor written. Pass the values of the keys that exist, in argument
 * order (missing keys count as empty); with several key arguments Redis takes this
 * path even if only one of them exists. Throws HllError for the first bad value.
 */
export function hllCountUnion(values: Uint8Array[]): HllCardinality {
  const maxRegisters = new Uint8Array(HLL_REGISTERS);
  for (const value of values) mergeRegistersInto(maxRegisters, value);
  const histogram = new Int32Array(64);
  for (let i = 0; i < HLL_REGISTERS; i++) histogram[maxRegisters[i]!]!++;
  return asReplyInteger(estimateFromHistogram(histogram));
}

// ---------------------------------------------------------------------------
// PFMERGE

/** Redis's hllMerge: max[i] = MAX(max[i], register i), after the header check. */
function mergeRegistersInto(maxRegisters: Uint8Array, value: Uint8Array): void {
  assertValidHeader(value);
  if (value[ENCODING_OFFSET] === HLL_DENSE) {
    for (let regnum = 0; regnum < HLL_REGISTERS; regnum++) {
      const registerValue = denseGetRegister(value, regnum);
      if (registerValue > maxRegisters[regnum]!) maxRegisters[regnum] = registerValue;
    }
    return;
  }
  let index = 0;
  let p = HLL_HDR_SIZE;
  const end = value.length;
  while (p < end) {
    const op = value[p]!;
    if ((op & 0xc0) === 0) {
      index += (op & 0x3f) + 1;
      p++;
    } else if ((op & 0xc0) === 0x40) {
      index += (((op & 0x3f) << 8) | (value[p + 1] ?? 0)) + 1;
      p += 2;
    } else {
      let runLength = (op & 0x3) + 1;
      const registerValue = ((op >>> 2) & 0x1f) + 1;
      if (runLength + index > HLL_REGISTERS) break;
      while (runLength-- > 0) {
        if (registerValue > maxRegisters[index]!) maxRegisters[index] = registerValue;
        index++;
      }
      p++;
    }
  }
  if (index !== HLL_REGISTERS) throw new HllError(HLL_INVALID_ERR);
}

/**
 * PFMERGE destkey sourcekey...: `target` is destkey's current value (undefined when
 * missing), `sources` the values of the source keys that exist, in argument order.
 * As in Redis the destination is itself one of the merged inputs (checked first), and
 * the result is dense when any input is dense, otherwise the destination stays sparse
 * (promoted if it outgrows sparseMaxBytes). Always returns a new value with the cache
 * marked stale. Throws HllError (WRONGTYPE or INVALIDOBJ) for the first bad input.
 */
export function hllMerge(target: Uint8Array | undefined, sources: Uint8Array[], sparseMaxBytes: number): Uint8Array {
  const maxRegisters = new Uint8Array(HLL_REGISTERS);
  let useDense = false;
  const inputs = target === undefined ? sources : [target, ...sources];
  for (const input of inputs) {
    mergeRegistersInto(maxRegisters, input);
    if (input[ENCODING_OFFSET] === HLL_DENSE) useDense = true;
  }

  const work = workingCopyOf(target ?? createSparseWithValidCache());
  if (useDense && !work.dense) {
    const dense = sparseToDense(work.bytes, work.length);
    if (dense === null) throw new HllError(HLL_INVALID_ERR);
    work.bytes = dense;
    work.length = dense.length;
    work.dense = true;
  }

  for (let regnum = 0; regnum < HLL_REGISTERS; regnum++) {
    const registerValue = maxRegisters[regnum]!;
    if (registerValue === 0) continue;
    if (work.dense) denseSetIfGreater(work.bytes, regnum, registerValue);
    else sparseSet(work, regnum, registerValue, sparseMaxBytes);
  }
  invalidateCache(work.bytes);
  return finishedValue(work);
}

// ---------------------------------------------------------------------------
// PFDEBUG and PFSELFTEST: the representation, shown and checked.

/** PFDEBUG ENCODING. */
export function hllEncoding(value: Uint8Array): "dense" | "sparse" {
  return value[ENCODING_OFFSET] === HLL_DENSE ? "dense" : "sparse";
}

/** PFDEBUG TODENSE / GETREG's conversion: the dense form of a sparse value; null when its opcodes are corrupt. */
export function hllToDense(value: Uint8Array): Uint8Array | null {
  if (value[ENCODING_OFFSET] === HLL_DENSE) return value;
  return sparseToDense(value, value.length);
}

/** PFDEBUG GETREG: the 16384 registers of a dense value. */
export function hllRegisters(dense: Uint8Array): number[] {
  const registers = new Array<number>(HLL_REGISTERS);
  for (let regnum = 0; regnum < HLL_REGISTERS; regnum++) registers[regnum] = denseGetRegister(dense, regnum);
  return registers;
}

/** PFDEBUG DECODE: a sparse value's opcodes as "z:<run>", "Z:<run>" and "v:<value>,<run>", space-separated. */
export function hllDecodeSparse(value: Uint8Array): string {
  const parts: string[] = [];
  for (let p = HLL_HDR_SIZE; p < value.length; ) {
    const op = value[p]!;
    if ((op & 0xc0) === 0) {
      parts.push(`z:${(op & 0x3f) + 1}`);
      p++;
    } else if ((op & 0xc0) === 0x40) {
      // A truncated XZERO reads the sds terminator, a 0, as Redis does.
      parts.push(`Z:${(((op & 0x3f) << 8) | (value[p + 1] ?? 0)) + 1}`);
      p += 2;
    } else {
      parts.push(`v:${((op >>> 2) & 0x1f) + 1},${(op & 0x3) + 1}`);
      p++;
    }
  }
  return parts.join(" ");
}

/**
 * PFSELFTEST, as Redis's: (1) dense registers keep what is written to them without
 * touching their neighbours, over `registerCycles` random fills; (2) adding 10 million
 * distinct elements, a sparse HLL and a dense one agree at every power of ten, the
 * sparse one is still sparse while small, and the estimate stays within six standard
 * errors. Returns null on success, else the TESTFAILED reason.
 */
export function hllSelfTest(sparseMaxBytes: number, random: () => number = Math.random, registerCycles = 1000, elements = 10_000_000): string | null {
  const dense = new Uint8Array(HLL_DENSE_SIZE);
  dense.set([0x48, 0x59, 0x4c, 0x4c, HLL_DENSE]);
  const expected = new Uint8Array(HLL_REGISTERS);
  for (let cycle = 0; cycle < registerCycles; cycle++) {
    for (let regnum = 0; regnum < HLL_REGISTERS; regnum++) {
      const registerValue = (random() * 64) & HLL_REGISTER_MAX;
      expected[regnum] = registerValue;
      denseSetRegister(dense, regnum, registerValue);
    }
    for (let regnum = 0; regnum < HLL_REGISTERS; regnum++) {
      const found = denseGetRegister(dense, regnum);
      if (found !== expected[regnum]) return `TESTFAILED Register ${regnum} should be ${expected[regnum]} but is ${found}`;
    }
  }

  dense.fill(0, HLL_HDR_SIZE);
  invalidateCache(dense);
  let denseValue: Uint8Array = dense;
  let sparseValue = hllCreateSparse();
  const relativeError = 1.04 / Math.sqrt(HLL_REGISTERS);
  const seed = BigInt(Math.floor(random() * 2 ** 32)) | (BigInt(Math.floor(random() * 2 ** 32)) << 32n);
  // Elements are 8-byte little-endian integers, j ^ seed, added in batches up to each checkpoint.
  const BATCH = 4096;
  const batch = Array.from({ length: BATCH }, () => new Uint8Array(8));
  const seedLow = Number(seed & 0xffffffffn);
  const seedHigh = Number(seed >> 32n);
  let added = 0;
  for (let checkpoint = 1; checkpoint <= elements; checkpoint *= 10) {
    while (added < checkpoint) {
      const count = Math.min(BATCH, checkpoint - added);
      for (let i = 0; i < count; i++) {
        const j = added + i + 1;
        const view = new DataView(batch[i]!.buffer);
        view.setUint32(0, (j % 2 ** 32 ^ seedLow) >>> 0, true);
        view.setUint32(4, (Math.floor(j / 2 ** 32) ^ seedHigh) >>> 0, true);
      }
      const elementsNow = count === BATCH ? batch : batch.slice(0, count);
      denseValue = hllAdd(denseValue, elementsNow, sparseMaxBytes).value;
      sparseValue = hllAdd(sparseValue, elementsNow, sparseMaxBytes).value;
      added += count;
    }
    if (checkpoint < sparseMaxBytes / 2 && sparseValue[ENCODING_OFFSET] !== HLL_SPARSE) return "TESTFAILED sparse encoding not used";
    const denseCount = Number(hllCount([denseValue]).count);
    if (denseCount !== Number(hllCount([sparseValue]).count)) return "TESTFAILED dense/sparse disagree";
    // At cardinality 10 a collision is likely enough now and then: one off is allowed.
    const maxError = checkpoint === 10 ? 1 : Math.ceil(relativeError * 6 * checkpoint);
    const absoluteError = Math.abs(checkpoint - denseCount);
    if (absoluteError > maxError) return `TESTFAILED Too big error. card:${checkpoint} abserr:${absoluteError}`;
  }
  return null;
}
