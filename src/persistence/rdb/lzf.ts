// LibLZF, the compressor behind RDB's LZF string encoding (0xC3).
//
// Stream format (what lzf_d.c accepts):
//   000LLLLL <L+1 literal bytes>             literal run of 1..32 bytes
//   LLLooooo oooooooo                         back-reference, length L+2 (L = 1..6)
//   111ooooo LLLLLLLL oooooooo                back-reference, length L+9
// where the offset is o+1 bytes back from the current output position; copies may
// overlap their own output (that is how runs of one byte are encoded).
//
// The compressor follows lzf_c.c as Redis builds it (HLOG 16, VERY_FAST, the
// same hash function, match rules and output-budget checks). Redis leaves the hash
// table uninitialised, so its exact output depends on stack garbage; ours behaves
// like a zeroed table, which keeps our output deterministic. Any valid LZF stream
// loads in Redis, so byte-identical output is not needed.

import { RdbFormatError } from "./errors.ts";

const HASH_LOG = 16;
const HASH_SIZE = 1 << HASH_LOG;
const MAX_LITERAL_RUN = 1 << 5;
const MAX_OFFSET = 1 << 13;
const MAX_REFERENCE_LENGTH = (1 << 8) + (1 << 3);
/** A 3-byte back-reference can expand to 264 bytes; nothing expands more per input byte. */
const MAX_EXPANSION_RATIO = 88;
const MAX_INPUT_LENGTH = 0x40000000;

// The match table is shared across calls and never cleared: slots hold
// `generationBase + position`, and a slot written before this call's base is
// simply "empty". Zeroing 256 KiB for every 21-byte string Redis-style code
// compresses would cost more than compressing it. Module state, and safe as such:
// it is scratch of one synchronous call that calls out to nothing (no other
// compression can start while one runs), and what a call leaves in it is "empty" to
// the next. The output, which outlives the call, is the caller's (lzfCompressInto).
const hashTable = new Int32Array(HASH_SIZE);
let generationBase = 0;

function startGeneration(inputLength: number): number {
  if (generationBase + inputLength + 1 >= 0x7fffffff) {
    hashTable.fill(0);
    generationBase = 0;
  }
  const base = generationBase;
  generationBase += inputLength + 1;
  return base;
}

/**
 * LZF-compress `input`. Returns null when the compressed form would need more than
 * `maxOutputLength` bytes (default: input.length - 1, i.e. "not smaller than the
 * input"); callers then store the bytes raw. Redis's rdbSaveLzfStringObject passes
 * input.length - 4 here ("at least four bytes saved or not worth it").
 */
export function lzfCompress(input: Uint8Array, maxOutputLength: number = input.length - 1): Uint8Array | null {
  const output = new Uint8Array(lzfOutputBound(input.length, maxOutputLength));
  const length = lzfCompressInto(output, input, maxOutputLength);
  return length < 0 ? null : output.slice(0, length);
}

/**
 * How many bytes lzfCompressInto may write for `inputLength` bytes of input and this
 * budget: the size its output array must have. All-literal output (one control byte per
 * 32 bytes) is the worst case; a budget beyond it plus the 4-byte slack of the budget
 * checks changes nothing, so it is capped there rather than be whatever the caller asked.
 */
export function lzfOutputBound(inputLength: number, maxOutputLength: number): number {
  const worstCase = inputLength + Math.ceil(inputLength / MAX_LITERAL_RUN) + 8;
  const outputEnd = Math.min(Math.floor(maxOutputLength), worstCase);
  return outputEnd > 0 ? outputEnd : 0;
}

/**
 * lzfCompress into the caller's array (of at least lzfOutputBound bytes): the compressed
 * bytes are output[0, n) where n is the returned length, or -1 when compressing does not
 * fit `maxOutputLength`. The RDB encoder reuses one output array and copies from it
 * straight into its file, so a string that compresses costs no allocation, and one that
 * does not costs no more than the attempt. Only input[0, inputLength) is read (the input
 * may be a reused, larger buffer).
 */
export function lzfCompressInto(output: Uint8Array, input: Uint8Array, maxOutputLength: number, inputLength: number = input.length): number {
  const outputEnd = lzfOutputBound(inputLength, maxOutputLength);
  if (inputLength === 0 || outputEnd === 0) return -1;
  // Table slots hold int32 positions; Redis strings stop at 512 MiB anyway.
  if (inputLength >= MAX_INPUT_LENGTH) return -1;
  if (output.length < outputEnd) throw new RangeError(`LZF output array of ${output.length} bytes, ${outputEnd} needed`);

  const base = startGeneration(inputLength);
  const table = hashTable;
  const matchLimit = inputLength - 2;

  let ip = 0;
  let op = 1; // output[0] is reserved for the first literal run's control byte
  let literalCount = 0;
  let hash = (input[0]! << 8) | (inputLength > 1 ? input[1]! : 0);

  while (ip < matchLimit) {
    hash = (hash << 8) | input[ip + 2]!;
    const slot = ((hash >>> 8) - Math.imul(hash, 5)) & (HASH_SIZE - 1);
    const ref = table[slot]! - base;
    table[slot] = base + ip;
    const offset = ip - ref - 1;

    // ref > 0 (not >= 0) mirrors lzf_c.c, which treats position 0 as "no entry".
    if (
      ref > 0 &&
      offset < MAX_OFFSET &&
      input[ref + 2] === input[ip + 2] &&
      input[ref] === input[ip] &&
      input[ref + 1] === input[ip + 1]
    ) {
      let length = 2;
      let maxLength = inputLength - ip - length;
      if (maxLength > MAX_REFERENCE_LENGTH) maxLength = MAX_REFERENCE_LENGTH;

      if (op + 3 + 1 >= outputEnd && op - (literalCount === 0 ? 1 : 0) + 3 + 1 >= outputEnd) return -1;

      output[op - literalCount - 1] = literalCount - 1; // close the literal run
      if (literalCount === 0) op--; // ...or drop it if it is empty

      // lzf_c.c checks 16 bytes unconditionally when more than 16 remain (they are
      // in bounds then), and only then switches to the bounded loop.
      let mismatched = false;
      if (maxLength > 16) {
        for (let unrolled = 0; unrolled < 16; unrolled++) {
          length++;
          if (input[ref + length] !== input[ip + length]) {
            mismatched = true;
            break;
          }
        }
      }
      if (!mismatched) {
        do length++;
        while (length < maxLength && input[ref + length] === input[ip + length]);
      }

      length -= 2; // encoded length: bytes copied minus two
      ip++;

      if (length < 7) {
        output[op++] = (offset >> 8) + (length << 5);
      } else {
        output[op++] = (offset >> 8) + (7 << 5);
        output[op++] = length - 7;
      }
      output[op++] = offset & 0xff;

      literalCount = 0;
      op++; // reserve the next literal run's control byte

      ip += length + 1;
      if (ip >= matchLimit) break;

      // VERY_FAST: hash the last two positions of the match so later data can refer to them.
      ip -= 2;
      hash = (input[ip]! << 8) | input[ip + 1]!;
      hash = (hash << 8) | input[ip + 2]!;
      table[((hash >>> 8) - Math.imul(hash, 5)) & (HASH_SIZE - 1)] = base + ip;
      ip++;
      hash = (hash << 8) | input[ip + 2]!;
      table[((hash >>> 8) - Math.imul(hash, 5)) & (HASH_SIZE - 1)] = base + ip;
      ip++;
    } else {
      if (op >= outputEnd) return -1;
      literalCount++;
      output[op++] = input[ip++]!;
      if (literalCount === MAX_LITERAL_RUN) {
        output[op - literalCount - 1] = literalCount - 1;
        literalCount = 0;
        op++;
      }
    }
  }

  if (op + 3 > outputEnd) return -1; // at most two literals and a control byte remain

  while (ip < inputLength) {
    literalCount++;
    output[op++] = input[ip++]!;
    if (literalCount === MAX_LITERAL_RUN) {
      output[op - literalCount - 1] = literalCount - 1;
      literalCount = 0;
      op++;
    }
  }

  output[op - literalCount - 1] = literalCount - 1;
  if (literalCount === 0) op--;

  return op;
}

/**
 * Decompress an LZF stream that must expand to exactly `expectedLength` bytes (the
 * original length stored next to it in the RDB). Anything else - a reference
 * before the start of the output, a truncated run, output longer or shorter than
 * expected - is the loader's "Invalid LZF compressed string".
 */
export function lzfDecompress(input: Uint8Array, expectedLength: number): Uint8Array {
  return lzfDecompressRange(input, 0, input.length, expectedLength);
}

/** lzfDecompress of input[start, end) (the loader decompresses in place in its read buffer). */
export function lzfDecompressRange(input: Uint8Array, start: number, end: number, expectedLength: number): Uint8Array {
  if (!Number.isSafeInteger(expectedLength) || expectedLength < 0) {
    throw new RdbFormatError(`Invalid LZF uncompressed length ${expectedLength}`);
  }
  const inputLength = end - start;
  // Checked before allocating so a corrupt length cannot ask for gigabytes.
  if (expectedLength > inputLength * MAX_EXPANSION_RATIO) {
    throw new RdbFormatError(
      `Invalid LZF compressed string: ${inputLength} bytes cannot expand to ${expectedLength}`,
    );
  }
  let output: Uint8Array;
  try {
    output = new Uint8Array(expectedLength);
  } catch {
    throw new RdbFormatError(`Invalid LZF compressed string: cannot allocate ${expectedLength} bytes`);
  }

  let ip = start;
  let op = 0;
  while (ip < end) {
    const control = input[ip++]!;
    if (control < 32) {
      const runLength = control + 1;
      if (op + runLength > expectedLength) {
        throw new RdbFormatError("Invalid LZF compressed string: output longer than expected");
      }
      if (ip + runLength > end) {
        throw new RdbFormatError("Invalid LZF compressed string: literal run past end of input");
      }
      // At most 32 bytes: a loop beats creating a subarray for TypedArray#set.
      for (let n = 0; n < runLength; n++) output[op++] = input[ip++]!;
    } else {
      let length = control >> 5;
      if (ip >= end) throw new RdbFormatError("Invalid LZF compressed string: truncated back-reference");
      if (length === 7) {
        length += input[ip++]!;
        if (ip >= end) throw new RdbFormatError("Invalid LZF compressed string: truncated back-reference");
      }
      const ref = op - ((control & 0x1f) << 8) - 1 - input[ip++]!;
      length += 2;
      if (op + length > expectedLength) {
        throw new RdbFormatError("Invalid LZF compressed string: output longer than expected");
      }
      if (ref < 0) throw new RdbFormatError("Invalid LZF compressed string: back-reference before start");
      if (length <= 16) {
        // Byte by byte: an overlapping reference replicates the bytes it has just written.
        for (let from = ref, n = 0; n < length; n++) output[op++] = output[from++]!;
      } else if (ref === op - 1) {
        output.fill(output[ref]!, op, op + length);
        op += length;
      } else {
        // Same result for long references: output[ref..op) repeats with period op - ref,
        // so copying whole already-written stretches from ref (doubling each time)
        // reproduces what the byte-by-byte copy would write.
        let remaining = length;
        while (remaining > 0) {
          const chunk = Math.min(remaining, op - ref);
          output.copyWithin(op, ref, ref + chunk);
          op += chunk;
          remaining -= chunk;
        }
      }
    }
  }
  if (op !== expectedLength) {
    throw new RdbFormatError(`Invalid LZF compressed string: got ${op} bytes, expected ${expectedLength}`);
  }
  return output;
}
