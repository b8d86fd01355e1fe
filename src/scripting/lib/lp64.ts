// How Redis's C libraries convert a Lua number (a double) to an integer type.
//
// Redis is built for 64-bit Linux (LP64: long, size_t and lua_Integer are 64 bits), and
// its Lua libraries lean on C casts: `(long)n` in string.format's %d, `(size_t)n` in
// struct, luaL_checkint's `(int)(lua_Integer)n`. Our VM is 32-bit WebAssembly, where those
// casts give other answers, so the libraries convert in TypeScript with these helpers.
//
// A double-to-integer cast out of range is undefined in C; what Redis does is what x86-64
// does (the architecture these results were checked against): cvttsd2si truncates toward
// zero and answers 0x8000000000000000 (the "integer indefinite") for NaN and for anything
// out of range. GCC converts to an unsigned 64-bit type as `n < 2^63 ? cvttsd2si(n)
// : cvttsd2si(n - 2^63) ^ 2^63`, so NaN (which fails no comparison that would send it
// down the second branch) gives 2^63, and 2^64 or more gives 0.

export const TWO_POW_32 = 4294967296;
export const TWO_POW_63 = 9223372036854775808;
export const TWO_POW_64 = 18446744073709551616;

/** `(long)n`, also lua_Integer and ptrdiff_t: truncation, LONG_MIN for NaN and out of range. */
export function toCLong(n: number): number {
  return n >= -TWO_POW_63 && n < TWO_POW_63 ? Math.trunc(n) : -TWO_POW_63;
}

/** `(int)(long)n`, luaL_checkint's conversion: the low 32 bits of the long. */
export function toCIntViaLong(n: number): number {
  // ToInt32 truncates and wraps modulo 2^32 exactly, as the long's low word does.
  return n >= -TWO_POW_63 && n < TWO_POW_63 ? n | 0 : 0;
}

/** `(int)n` straight from the double (cvttsd2si to 32 bits): INT_MIN out of range. */
export function toCInt(n: number): number {
  return n > -2147483649 && n < 2147483648 ? n | 0 : -2147483648;
}

/**
 * `(unsigned long)n` as two 32-bit words, `out[0]` the low one, `out[1]` the high one. For
 * a negative n this is also `(unsigned long)(long)n`, which struct's integer packing uses.
 */
export function toCUnsignedLong(n: number, out: Uint32Array): void {
  let value: number;
  if (n >= 0) {
    if (n >= TWO_POW_64) {
      out[0] = 0;
      out[1] = 0;
      return;
    }
    value = Math.trunc(n);
  } else if (n >= -TWO_POW_63) {
    value = Math.trunc(n);
  } else {
    // Below LONG_MIN, and NaN.
    out[0] = 0;
    out[1] = 0x80000000;
    return;
  }
  // Exact: value is an integer and the divisions are by a power of two.
  const high = Math.floor(value / TWO_POW_32);
  out[0] = value - high * TWO_POW_32;
  out[1] = high;
}

/**
 * `(size_t)n` for a size read from a Lua number: exact below 2^64, 0 from 2^64 on
 * (see above), and Infinity standing for the huge values negative numbers and NaN wrap to
 * (no string is that long, so a caller comparing with a length gets the C answer).
 */
export function toCSize(n: number): number {
  if (n >= 0) return n >= TWO_POW_64 ? 0 : Math.trunc(n);
  return n > -1 ? 0 : Infinity;
}
