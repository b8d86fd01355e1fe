// Floating point text as Redis 7.0 reads and writes it.
//
// Reading: Redis hands argument bytes to glibc strtod/strtold and then applies
// its own acceptance rules, which differ by caller:
//   - string2d (ZADD/ZINCRBY scores, weights): the whole argument must be
//     consumed, no leading space, no NaN, no overflow to +-inf or underflow to 0
//     (but "inf" typed literally is fine).
//   - string2ld (INCRBYFLOAT, HINCRBYFLOAT): the same rules, parsed as an x87
//     80-bit long double, and at most 5119 bytes.
//   - zslParseRange (ZRANGEBYSCORE & co.): plain strtod on the C string, so
//     leading spaces, "" (zero) and overflow are accepted, and parsing stops at
//     an embedded NUL.
//   - Lua cjson's decoder: strtod at a number in the JSON text, carrying on
//     after whatever it consumed (strtodPrefix), errno ignored.
// Writing:
//   - addReplyDouble: printf "%.17g" (glibc rounds ties to even), "inf"/"-inf".
//   - Lua cjson's encoder: printf "%.14g" (the format of Lua's tostring) or
//     another precision the script sets (formatDoubleG).
//   - ld2string LD_STR_HUMAN: printf "%.17Lf" of the long double, trailing
//     zeros and a trailing '.' removed, "-0" turned into "0".
//
// Long doubles are emulated exactly (LongDouble below: 64-bit significand,
// x87 exponent range, round-half-even on every operation), because INCRBYFLOAT
// results are visible: 0.1 + 0.2 is "0.3" in Redis, and
// "1.23456789012345678901234567890" comes back as "1.23456789012345679".

// ---------------------------------------------------------------------------
// strtod's grammar

const enum ScanKind {
  None,
  Decimal,
  Hex,
  Infinity,
  NaN,
}

/**
 * Fields of the last scan. The scanner writes them instead of returning an
 * object so that ZADD's hot path allocates nothing while validating. Module state, and
 * safe as such: the caller reads them right after the scan, which calls out to nothing.
 */
const scanned = {
  kind: ScanKind.None as ScanKind,
  negative: false,
  /** Mantissa digits: [intStart, intEnd) before the point, [fracStart, fracEnd) after it. */
  intStart: 0,
  intEnd: 0,
  fracStart: 0,
  fracEnd: 0,
  /** The written exponent (decimal for Decimal, binary for Hex), clamped to +-1e10. */
  exponent: 0,
  hasExponent: false,
  /** One past the last byte strtod consumes; equals `from` when nothing converts. */
  end: 0,
};

const EXPONENT_CLAMP = 1e10;

function isDigit(byte: number): boolean {
  return byte >= 48 && byte <= 57;
}

function hexValue(byte: number): number {
  if (byte >= 48 && byte <= 57) return byte - 48;
  const lower = byte | 0x20;
  if (lower >= 97 && lower <= 102) return lower - 87;
  return -1;
}

/** C isspace in the C locale. */
export function isCSpace(byte: number): boolean {
  return byte === 32 || (byte >= 9 && byte <= 13);
}

/** Case-insensitive match of an ASCII lower-case word at `at`. */
function wordAt(bytes: Uint8Array, at: number, to: number, word: string): boolean {
  if (to - at < word.length) return false;
  for (let i = 0; i < word.length; i++) if ((bytes[at + i]! | 0x20) !== word.charCodeAt(i)) return false;
  return true;
}

/** Reads an optional signed decimal exponent at `at`; returns its end, or -1 when there are no digits. */
function scanExponentDigits(bytes: Uint8Array, at: number, to: number): number {
  let i = at;
  let negative = false;
  if (i < to && (bytes[i] === 43 /* + */ || bytes[i] === 45) /* - */) {
    negative = bytes[i] === 45;
    i++;
  }
  if (i >= to || !isDigit(bytes[i]!)) return -1;
  let value = 0;
  for (; i < to && isDigit(bytes[i]!); i++) {
    if (value < EXPONENT_CLAMP) value = value * 10 + (bytes[i]! - 48);
  }
  scanned.exponent = negative ? -value : value;
  scanned.hasExponent = true;
  return i;
}

/**
 * Scans the longest prefix of bytes[from, to) that glibc strtod converts,
 * without skipping leading white space. Results land in `scanned`.
 */
function scanStrtod(bytes: Uint8Array, from: number, to: number): void {
  scanned.kind = ScanKind.None;
  scanned.end = from;
  scanned.exponent = 0;
  scanned.hasExponent = false;
  let i = from;
  scanned.negative = false;
  if (i < to && (bytes[i] === 43 || bytes[i] === 45)) {
    scanned.negative = bytes[i] === 45;
    i++;
  }
  if (i >= to) return;
  const first = bytes[i]! | 0x20;

  if (first === 0x69 /* i */) {
    if (!wordAt(bytes, i, to, "inf")) return;
    scanned.kind = ScanKind.Infinity;
    scanned.end = wordAt(bytes, i, to, "infinity") ? i + 8 : i + 3;
    return;
  }
  if (first === 0x6e /* n */) {
    if (!wordAt(bytes, i, to, "nan")) return;
    scanned.kind = ScanKind.NaN;
    scanned.end = i + 3;
    // "nan(chars)" is consumed only when the parenthesis closes.
    if (i + 3 < to && bytes[i + 3] === 40 /* ( */) {
      let j = i + 4;
      while (j < to) {
        const c = bytes[j]!;
        if (isDigit(c) || ((c | 0x20) >= 97 && (c | 0x20) <= 122) || c === 95 /* _ */) j++;
        else break;
      }
      if (j < to && bytes[j] === 41 /* ) */) scanned.end = j + 1;
    }
    return;
  }

  if (bytes[i] === 48 /* 0 */ && i + 1 < to && (bytes[i + 1]! | 0x20) === 0x78 /* x */) {
    let j = i + 2;
    const intStart = j;
    while (j < to && hexValue(bytes[j]!) >= 0) j++;
    const intEnd = j;
    let fracStart = j;
    let fracEnd = j;
    if (j < to && bytes[j] === 46 /* . */) {
      fracStart = j + 1;
      j = fracStart;
      while (j < to && hexValue(bytes[j]!) >= 0) j++;
      fracEnd = j;
    }
    if (intEnd > intStart || fracEnd > fracStart) {
      scanned.kind = ScanKind.Hex;
      scanned.intStart = intStart;
      scanned.intEnd = intEnd;
      scanned.fracStart = fracStart;
      scanned.fracEnd = fracEnd;
      if (j < to && (bytes[j]! | 0x20) === 0x70 /* p */) {
        const exponentEnd = scanExponentDigits(bytes, j + 1, to);
        if (exponentEnd >= 0) j = exponentEnd;
      }
      scanned.end = j;
      return;
    }
    // "0x" without hex digits: strtod converts just the "0".
    scanned.kind = ScanKind.Decimal;
    scanned.intStart = i;
    scanned.intEnd = i + 1;
    scanned.fracStart = scanned.fracEnd = i + 1;
    scanned.end = i + 1;
    return;
  }

  let j = i;
  while (j < to && isDigit(bytes[j]!)) j++;
  const intEnd = j;
  let fracStart = j;
  let fracEnd = j;
  if (j < to && bytes[j] === 46) {
    fracStart = j + 1;
    j = fracStart;
    while (j < to && isDigit(bytes[j]!)) j++;
    fracEnd = j;
  }
  if (intEnd === i && fracEnd === fracStart) return;
  scanned.kind = ScanKind.Decimal;
  scanned.intStart = i;
  scanned.intEnd = intEnd;
  scanned.fracStart = fracStart;
  scanned.fracEnd = fracEnd;
  if (j < to && (bytes[j]! | 0x20) === 0x65 /* e */) {
    const exponentEnd = scanExponentDigits(bytes, j + 1, to);
    if (exponentEnd >= 0) j = exponentEnd;
  }
  scanned.end = j;
}

function mantissaIsZero(bytes: Uint8Array): boolean {
  for (let i = scanned.intStart; i < scanned.intEnd; i++) if (bytes[i] !== 48) return false;
  for (let i = scanned.fracStart; i < scanned.fracEnd; i++) if (bytes[i] !== 48) return false;
  return true;
}

// ---------------------------------------------------------------------------
// Exact binary rounding, shared by hex floats, long doubles and their
// conversion to double.

const DOUBLE_PRECISION = 53;
const DOUBLE_MIN_LSB = -1074;
/** Finite doubles are below 2^1024. */
const DOUBLE_MAX_EXPONENT = 1024;
const LONG_DOUBLE_PRECISION = 64;
const LONG_DOUBLE_MIN_LSB = -16445;
/** Finite long doubles are below 2^16384. */
const LONG_DOUBLE_MAX_EXPONENT = 16384;

/** Number of bits in a non-negative bigint (0 for 0). */
export function bitLength(value: bigint): number {
  if (value < 0x100000000n) return 32 - Math.clz32(Number(value));
  if (value < 0x20000000000000n) return 64 - Math.clz32(Math.floor(Number(value) / 0x100000000));
  const hex = value.toString(16);
  return hex.length * 4 - (Math.clz32(parseInt(hex[0]!, 16)) - 28);
}

/** Result of roundBinary: value = significand * 2^lsbExponent (read right after the call, as `scanned`). */
const rounded = { significand: 0n, lsbExponent: 0 };

/**
 * Rounds magnitude * 2^exponent (plus "something non-zero below the last bit"
 * when `sticky`) to `precision` bits, round-half-even, with no bit below
 * 2^minLsb (gradual underflow). Writes `rounded`. A caller passing sticky=true
 * must supply at least precision+2 bits of magnitude.
 */
function roundBinary(magnitude: bigint, exponent: number, sticky: boolean, precision: number, minLsb: number): void {
  const length = bitLength(magnitude);
  let lsb = exponent + length - precision;
  if (lsb < minLsb) lsb = minLsb;
  if (lsb <= exponent) {
    rounded.significand = magnitude;
    rounded.lsbExponent = exponent;
    return;
  }
  const shift = BigInt(lsb - exponent);
  let quotient = magnitude >> shift;
  const remainder = magnitude - (quotient << shift);
  const half = 1n << (shift - 1n);
  if (remainder > half || (remainder === half && (sticky || (quotient & 1n) === 1n))) quotient += 1n;
  if (bitLength(quotient) > precision) {
    quotient >>= 1n;
    lsb += 1;
  }
  rounded.significand = quotient;
  rounded.lsbExponent = lsb;
}

/** Is the value in `rounded` at least 2^maxExponent? */
function roundedOverflows(maxExponent: number): boolean {
  return rounded.lsbExponent + bitLength(rounded.significand) > maxExponent;
}

function powerOfTwo(exponent: number): number {
  // 2 ** e is exact for every exponent a rounded double can carry (-1074..971).
  return 2 ** exponent;
}

/** Hex digits kept from a mantissa: 128 bits, far more than the 66 that rounding a long double needs. */
const MAX_HEX_DIGITS = 32;

/**
 * The scanned hex mantissa as digits * 2^exponent. Digits past the first 32
 * significant ones only matter as "something non-zero below", reported in
 * `sticky`, so an absurdly long mantissa costs no big arithmetic.
 */
function hexMantissa(bytes: Uint8Array): { digits: bigint; exponent: number; sticky: boolean } {
  let text = "";
  let exponent = scanned.exponent;
  let sticky = false;
  const take = (from: number, to: number, fractional: boolean): void => {
    for (let i = from; i < to; i++) {
      const byte = bytes[i]!;
      if (text.length < MAX_HEX_DIGITS) {
        if (text.length > 0 || byte !== 48) text += String.fromCharCode(byte);
        if (fractional) exponent -= 4;
      } else {
        if (byte !== 48) sticky = true;
        if (!fractional) exponent += 4;
      }
    }
  };
  take(scanned.intStart, scanned.intEnd, false);
  take(scanned.fracStart, scanned.fracEnd, true);
  return { digits: text.length === 0 ? 0n : BigInt("0x" + text), exponent, sticky };
}

/** Hex float to double, correctly rounded; +-Infinity on overflow. */
function hexToDouble(bytes: Uint8Array): number {
  const { digits, exponent, sticky } = hexMantissa(bytes);
  if (digits === 0n) return scanned.negative ? -0 : 0;
  // Far outside the double range: skip the big shifts.
  const magnitudeExponent = exponent + bitLength(digits);
  let value: number;
  if (magnitudeExponent > 1100) value = Infinity;
  else if (magnitudeExponent < -1100) value = 0;
  else {
    roundBinary(digits, exponent, sticky, DOUBLE_PRECISION, DOUBLE_MIN_LSB);
    value =
      roundedOverflows(DOUBLE_MAX_EXPONENT) ? Infinity : Number(rounded.significand) * powerOfTwo(rounded.lsbExponent);
  }
  return scanned.negative ? -value : value;
}

/** The scanned decimal as a double, correctly rounded (JSC's parser is exact). */
function decimalToDouble(bytes: Uint8Array, from: number): number {
  const intDigits = scanned.intEnd - scanned.intStart;
  if (!scanned.hasExponent && scanned.fracEnd === scanned.fracStart && intDigits <= 15 && scanned.end === scanned.intEnd) {
    // Plain integers (the common score): exact in a double, no string needed.
    let value = 0;
    for (let i = scanned.intStart; i < scanned.intEnd; i++) value = value * 10 + (bytes[i]! - 48);
    return scanned.negative ? -value : value;
  }
  const text = Buffer.prototype.latin1Slice.call(bytes, from, scanned.end) as string;
  return Number(text);
}

/** Value of the last scan as a double (strtod's result, before any errno check). */
function scannedToDouble(bytes: Uint8Array, from: number): number {
  switch (scanned.kind) {
    case ScanKind.Decimal:
      return decimalToDouble(bytes, from);
    case ScanKind.Hex:
      return hexToDouble(bytes);
    case ScanKind.Infinity:
      return scanned.negative ? -Infinity : Infinity;
    case ScanKind.NaN:
      return NaN;
    case ScanKind.None:
      return 0;
  }
}

/** What strtodPrefix read: the value and one past the last byte converted. */
export interface StrtodResult {
  value: number;
  /** Equals the `from` passed in when nothing converts (the value is then 0). */
  end: number;
}

/**
 * glibc strtod on bytes[from, to) with no white space skipped and no errno
 * check: the longest prefix that converts (decimal, hex float, "inf",
 * "infinity", "nan", "nan(chars)", with an optional sign), overflow giving
 * +-inf and underflow 0. For Lua cjson's decoder, which hands strtod the text
 * at a number and carries on after whatever it consumed. A NaN's sign is lost
 * (JS has one NaN): a caller that needs it checks for a leading '-'.
 */
export function strtodPrefix(bytes: Uint8Array, from: number, to: number, result: StrtodResult): StrtodResult {
  scanStrtod(bytes, from, to);
  result.end = scanned.end;
  result.value = scannedToDouble(bytes, from);
  return result;
}

// ---------------------------------------------------------------------------
// Parsing doubles

/**
 * Redis's string2d (ZADD/ZINCRBY scores, ZUNIONSTORE weights, ...): the whole
 * argument must be a strtod number; no leading white space, no NaN; a finite
 * literal that overflows to +-inf or underflows to zero is refused (strtod's
 * ERANGE), while "inf", "-infinity" etc. are accepted. Hex floats are accepted.
 */
export function parseDouble(bytes: Uint8Array): number | null {
  const length = bytes.length;
  if (length === 0 || isCSpace(bytes[0]!)) return null;
  scanStrtod(bytes, 0, length);
  if (scanned.end !== length || scanned.kind === ScanKind.None || scanned.kind === ScanKind.NaN) return null;
  const value = scannedToDouble(bytes, 0);
  if (scanned.kind === ScanKind.Infinity) return value;
  if (value === Infinity || value === -Infinity) return null;
  if (value === 0 && !mantissaIsZero(bytes)) return null;
  return value;
}

/**
 * One bound of a score range as zslParseRange reads it (ZRANGEBYSCORE, ZCOUNT,
 * ZREMRANGEBYSCORE, ZRANGE BYSCORE...): an optional '(' for an exclusive bound,
 * then strtod on the rest as a C string. That is laxer than parseDouble:
 * leading white space is skipped, "" and "(" mean 0, "1e999" is +inf, and the
 * text ends at the first NUL byte. Only NaN and trailing garbage are refused.
 */
export function parseScoreBound(bytes: Uint8Array): { value: number; exclusive: boolean } | null {
  let from = 0;
  const exclusive = bytes.length > 0 && bytes[0] === 40; /* ( */
  if (exclusive) from = 1;
  let to = bytes.indexOf(0, from);
  if (to < 0) to = bytes.length;
  let start = from;
  while (start < to && isCSpace(bytes[start]!)) start++;
  scanStrtod(bytes, start, to);
  let end = scanned.end;
  // No conversion: strtod reports the original pointer, white space included.
  if (scanned.kind === ScanKind.None) end = from;
  if (end !== to) return null;
  if (scanned.kind === ScanKind.None) return { value: 0, exclusive };
  const value = scannedToDouble(bytes, start);
  if (value !== value) return null;
  return { value, exclusive };
}

const SMALLEST_NORMAL_DOUBLE = 2 ** -1022;

/**
 * SORT's weights (sortCommandGeneric): strtod on the value as a C string
 * (leading white space skipped, the text ends at the first NUL) that must
 * consume all of it, refusing NaN and whatever makes glibc set ERANGE: a
 * finite literal overflowing to +-inf, a non-zero literal underflowing to 0,
 * or an inexact subnormal result (an exactly representable one, e.g.
 * "0x1p-1074", is fine). "" reads as 0. Decimal subnormals are treated as
 * inexact: one written out exactly would need hundreds of digits.
 */
export function parseSortWeight(bytes: Uint8Array): number | null {
  let to = bytes.indexOf(0);
  if (to < 0) to = bytes.length;
  if (to === 0) return 0;
  let start = 0;
  while (start < to && isCSpace(bytes[start]!)) start++;
  scanStrtod(bytes, start, to);
  // Without a conversion strtod points back at the first byte, which is not the end.
  if (scanned.kind === ScanKind.None || scanned.end !== to) return null;
  if (scanned.kind === ScanKind.NaN) return null;
  const value = scannedToDouble(bytes, start);
  if (scanned.kind === ScanKind.Infinity) return value;
  if (value === Infinity || value === -Infinity) return null;
  if (value === 0) return mantissaIsZero(bytes) ? value : null;
  const magnitude = Math.abs(value);
  if (magnitude >= SMALLEST_NORMAL_DOUBLE) return value;
  if (scanned.kind !== ScanKind.Hex) return null;
  return hexIsExactly(bytes, magnitude) ? value : null;
}

/**
 * Lua 5.1's luaO_str2d over glibc strtod, which is how Redis's Lua reads a numeric string
 * (tonumber, the lexer, arithmetic on strings): a C string (it ends at the first NUL),
 * white space allowed before and after the number and nothing else; overflow gives
 * +-inf, underflow 0, "nan" NaN (its sign is the text's; JavaScript cannot carry it).
 * luaO_str2d retries with strtoul when strtod stops at an "x", but glibc's strtod reads
 * hex itself, so the retry can only stop at that same "x": it never turns a failure
 * into a number. Returns null for text that is not a number.
 */
export function parseLuaNumber(bytes: Uint8Array): number | null {
  let to = bytes.indexOf(0);
  if (to < 0) to = bytes.length;
  let start = 0;
  while (start < to && isCSpace(bytes[start]!)) start++;
  scanStrtod(bytes, start, to);
  if (scanned.kind === ScanKind.None) return null;
  let end = scanned.end;
  while (end < to && isCSpace(bytes[end]!)) end++;
  if (end !== to) return null;
  return scannedToDouble(bytes, start);
}

/** Whether the scanned hex literal equals `magnitude` (a subnormal) exactly. */
function hexIsExactly(bytes: Uint8Array, magnitude: number): boolean {
  const { digits, exponent, sticky } = hexMantissa(bytes);
  if (sticky) return false;
  // A subnormal is units * 2^-1074 with units < 2^52; scaling by powers of two is exact.
  const units = BigInt(magnitude * 2 ** 1000 * 2 ** 74);
  const shift = exponent - DOUBLE_MIN_LSB;
  return shift >= 0 ? digits << BigInt(shift) === units : digits === units << BigInt(-shift);
}

// ---------------------------------------------------------------------------
// Printing doubles

const TWO_POW_25 = 33554432;
const TEN_POW_17 = 10n ** 17n;
const TEN_POW_18 = 10n ** 18n;

/**
 * True when |d| lies exactly half way between two 17-significant-digit
 * decimals. JS rounds such ties away from zero, glibc's printf to even.
 * A tie needs the exact decimal expansion to have 18 significant digits ending
 * in 5: d = m / 2^k with m odd, digits m * 5^k, so k <= 25.
 */
function isSeventeenDigitTie(d: number): boolean {
  const magnitude = Math.abs(d);
  if (Number.isInteger(magnitude) || !Number.isInteger(magnitude * TWO_POW_25)) return false;
  let k = 0;
  let scaled = magnitude;
  while (!Number.isInteger(scaled)) {
    scaled *= 2;
    k++;
  }
  const approximateDigits = scaled * 5 ** k;
  if (approximateDigits < 9e16 || approximateDigits > 1.1e18) return false;
  const digits = BigInt(scaled) * 5n ** BigInt(k);
  return digits >= TEN_POW_17 && digits < TEN_POW_18;
}

function stripTrailingZeros(digits: string): string {
  let end = digits.length;
  while (end > 0 && digits.charCodeAt(end - 1) === 48) end--;
  return end === digits.length ? digits : digits.slice(0, end);
}

const TWO_POW_10 = 1024;
const FIVE_POW_10 = 9765625;

/**
 * Fast path for scores like 1.5, 0.25 or 100.125 (multiples of 2^-10 below
 * 2^43), for which JSC's toExponential falls into a slow bignum path. Their
 * exact decimal expansion has at most 10 decimals; when it also has at most 17
 * significant digits, "%.17g" prints exactly it, in fixed notation (the value
 * is >= 2^-10, so its decimal exponent is >= -4). Null when not applicable.
 */
function formatShortBinaryFraction(d: number): string | null {
  const magnitude = d < 0 ? -d : d;
  const scaled = magnitude * TWO_POW_10;
  if (magnitude >= 8796093022208 || !Number.isInteger(scaled)) return null;
  const integerPart = Math.floor(magnitude);
  // (scaled mod 1024) / 1024 = (scaled mod 1024) * 5^10 / 10^10: ten exact decimals.
  let fraction = String((scaled - integerPart * TWO_POW_10) * FIVE_POW_10);
  fraction = stripTrailingZeros("0".repeat(10 - fraction.length) + fraction);
  const integerText = String(integerPart);
  let significant: number;
  if (integerPart > 0) {
    significant = integerText.length + fraction.length;
  } else {
    let leadingZeros = 0;
    while (fraction.charCodeAt(leadingZeros) === 48) leadingZeros++;
    significant = fraction.length - leadingZeros;
  }
  if (significant > 17) return null;
  return (d < 0 ? "-" : "") + integerText + "." + fraction;
}

/**
 * A double as Redis 7.0 replies it (addReplyDouble): printf "%.17g", with
 * "inf" and "-inf" for infinities. 1.1 -> "1.1000000000000001", 1e17 -> "1e+17",
 * 0.00001 -> "1.0000000000000001e-05", -0 -> "-0".
 */
export function formatDouble(d: number): string {
  if (Number.isSafeInteger(d)) return d === 0 && 1 / d < 0 ? "-0" : String(d);
  if (d !== d) return "nan";
  if (d === Infinity) return "inf";
  if (d === -Infinity) return "-inf";
  const short = formatShortBinaryFraction(d);
  if (short !== null) return short;

  // "d.dddddddddddddddde[+-]x": 17 significant digits, exact but ties away from zero.
  const text = d.toExponential(16);
  const negative = d < 0;
  const mantissaStart = negative ? 1 : 0;
  const ePosition = text.indexOf("e", mantissaStart);
  let digits = text[mantissaStart]! + text.slice(mantissaStart + 2, ePosition);
  const exponent = Number(text.slice(ePosition + 1));
  if (isSeventeenDigitTie(d)) {
    const last = digits.charCodeAt(16) - 48;
    if ((last & 1) === 1) digits = digits.slice(0, 16) + String.fromCharCode(48 + last - 1);
  }

  return layoutG(negative, digits, exponent, 17);
}

/**
 * The "%g" layout of `precision` significant `digits` (already rounded) times
 * 10^exponent: fixed notation when -4 <= exponent < precision, else
 * "d.ddde+XX"; trailing zeros and a bare '.' dropped (no '#' flag).
 */
function layoutG(negative: boolean, digits: string, exponent: number, precision: number): string {
  const sign = negative ? "-" : "";
  if (exponent < -4 || exponent >= precision) {
    const fraction = stripTrailingZeros(digits.slice(1));
    const absExponent = exponent < 0 ? -exponent : exponent;
    return (
      sign +
      digits[0] +
      (fraction.length > 0 ? "." + fraction : "") +
      (exponent < 0 ? "e-" : "e+") +
      (absExponent < 10 ? "0" : "") +
      absExponent
    );
  }
  if (exponent >= 0) {
    const fraction = stripTrailingZeros(digits.slice(exponent + 1));
    return sign + digits.slice(0, exponent + 1) + (fraction.length > 0 ? "." + fraction : "");
  }
  return sign + "0." + "0".repeat(-exponent - 1) + stripTrailingZeros(digits);
}

/** 10^n for n = 0..17, exact in a double. */
const POWERS_OF_TEN = Array.from({ length: 18 }, (_, n) => 10 ** n);

/**
 * printf "%.<precision>g" of a double as glibc prints it, for precision 1..17:
 * Lua's tostring and cjson's numbers use "%.14g" (0.1 -> "0.1", 2^53 ->
 * "9.007199254741e+15", 1e300 -> "1e+300", -0 -> "-0"). "inf", "-inf" and
 * "nan" as glibc spells them; glibc's "-nan" for a NaN with the sign bit set
 * cannot be told apart here (JS does not expose a NaN's sign), so callers that
 * care handle NaN themselves.
 *
 * JS's toExponential rounds exact ties away from zero, glibc to even
 * (100000000000005 is "1e+14" at precision 14), so ties are found and
 * settled here, as formatDouble does for 17 digits.
 */
export function formatDoubleG(d: number, precision: number): string {
  if (d !== d) return "nan";
  if (d === Infinity) return "inf";
  if (d === -Infinity) return "-inf";
  const negative = d < 0 || (d === 0 && 1 / d < 0);
  const magnitude = negative ? -d : d;
  // Integers with at most `precision` digits print as themselves: the common case. (Only
  // below 2^53 does String() give every digit; above it prints the shortest round trip.)
  if (Number.isSafeInteger(magnitude) && magnitude < POWERS_OF_TEN[precision]!) return negative ? "-" + magnitude : String(magnitude);

  if (precision <= 14 && magnitude >= SMALLEST_NORMAL_DOUBLE) {
    // The shortest text that reads back as a normal double (toExponential() without
    // digits) is within half an ulp of it, far closer than half a step between 15-digit
    // decimals: when it has at most `precision` digits, it is the rounded value. And a
    // tie, a (precision + 1)-digit decimal exactly, is its own shortest text.
    const shortest = magnitude.toExponential();
    const ePosition = shortest.indexOf("e");
    const digits = ePosition === 1 ? shortest[0]! : shortest[0]! + shortest.slice(2, ePosition);
    const exponent = Number(shortest.slice(ePosition + 1));
    if (digits.length <= precision) return layoutG(negative, digits.padEnd(precision, "0"), exponent, precision);
    if (
      digits.length === precision + 1 &&
      digits.charCodeAt(precision) === 53 /* 5 */ &&
      (digits.charCodeAt(precision - 1) & 1) === 0 &&
      isExactDecimal(magnitude, digits, exponent)
    ) {
      // Half way, and the truncated digits end even: glibc keeps them, JS rounds up.
      return layoutG(negative, digits.slice(0, precision), exponent, precision);
    }
  }

  const text = magnitude.toExponential(precision - 1);
  const ePosition = text.indexOf("e");
  let digits = precision === 1 ? text[0]! : text[0]! + text.slice(2, ePosition);
  let exponent = Number(text.slice(ePosition + 1));
  if (precision > 14) {
    const longer = magnitude.toExponential(precision);
    const longerE = longer.indexOf("e");
    const longerDigits = longer[0]! + longer.slice(2, longerE);
    const longerExponent = Number(longer.slice(longerE + 1));
    if (
      longerDigits.charCodeAt(precision) === 53 /* 5 */ &&
      (longerDigits.charCodeAt(precision - 1) & 1) === 0 &&
      isExactDecimal(magnitude, longerDigits, longerExponent)
    ) {
      digits = longerDigits.slice(0, precision);
      exponent = longerExponent;
    }
  }
  return layoutG(negative, digits, exponent, precision);
}

/**
 * Whether the decimal d.ddd * 10^exponent (`digits` with the point after the first)
 * is exactly `magnitude`. Only a multiple of 2^-25 can equal a decimal of at most 18
 * significant digits (m / 2^k has m * 5^k for digits, so k <= 25): the rest is ruled
 * out before the exact comparison.
 */
function isExactDecimal(magnitude: number, digits: string, exponent: number): boolean {
  if (!Number.isInteger(magnitude) && !Number.isInteger(magnitude * TWO_POW_25)) return false;
  // digits * 10^(exponent - length + 1) against significand * 2^binaryExponent, in integers.
  const { significand, exponent: binaryExponent } = splitDouble(magnitude);
  let binarySide = significand;
  let decimalSide = BigInt(digits);
  if (binaryExponent >= 0) binarySide <<= BigInt(binaryExponent);
  else decimalSide <<= BigInt(-binaryExponent);
  const decimalExponent = exponent - digits.length + 1;
  if (decimalExponent >= 0) decimalSide *= 10n ** BigInt(decimalExponent);
  else binarySide *= 10n ** BigInt(-decimalExponent);
  return binarySide === decimalSide;
}

/**
 * printf "%.<precision>f" of a double as glibc prints it: the exact value rounded to
 * `precision` decimals, ties to even ("inf", "-inf", "nan" as glibc spells them, and
 * the sign of -0 and of negatives that round to zero kept). Redis's error texts use
 * it ("invalid longitude,latitude pair %f,%f").
 */
export function formatPrintfFixed(d: number, precision = 6): string {
  if (d !== d) return "nan";
  if (d === Infinity) return "inf";
  if (d === -Infinity) return "-inf";
  const sign = d < 0 || Object.is(d, -0) ? "-" : "";
  const magnitude = Math.abs(d);
  if (magnitude < 1e21) {
    // toFixed rounds the exact value too, but a tie away from zero. The exact decimal
    // expansion of M * 2^E (M odd, E < 0) has -E digits and ends in 5, so a tie at
    // `precision` digits is magnitude * 2^(precision + 1) odd: then even is one below.
    let digits = magnitude.toFixed(precision);
    if ((magnitude * 2 ** (precision + 1)) % 2 === 1) {
      const last = digits.charCodeAt(digits.length - 1);
      if ((last & 1) === 1) digits = digits.slice(0, -1) + String.fromCharCode(last - 1);
    }
    return sign + digits;
  }
  // An integer with more digits than toFixed writes out: its exact decimal value.
  const { significand, exponent } = splitDouble(magnitude);
  const integer = (significand << BigInt(exponent)).toString();
  return sign + integer + (precision > 0 ? "." + "0".repeat(precision) : "");
}

/**
 * Redis's fixedpoint_d2string: `d` rounded to `fractionalDigits` decimals with llrint
 * (ties to even) and printed with exactly that many ("0.0000" for zero). GEODIST and
 * WITHDIST print distances with 4. A value beyond the long long range (or NaN) is
 * llrint's LLONG_MIN, as on x86-64.
 */
export function formatFixedPoint(d: number, fractionalDigits: number): string {
  if (d === 0) return "0." + "0".repeat(fractionalDigits);
  const scaled = d * POWERS_OF_TEN[fractionalDigits]!;
  let digits: string;
  let negative: boolean;
  if (!(Math.abs(scaled) < 2 ** 63)) {
    digits = "9223372036854775808";
    negative = true;
  } else {
    let rounded = Math.round(scaled);
    if (scaled - Math.floor(scaled) === 0.5 && rounded % 2 !== 0) rounded -= 1;
    negative = rounded < 0;
    const magnitude = Math.abs(rounded);
    digits = Number.isSafeInteger(magnitude) ? String(magnitude) : BigInt(magnitude).toString();
  }
  if (digits.length <= fractionalDigits) digits = "0".repeat(fractionalDigits - digits.length + 1) + digits;
  const point = digits.length - fractionalDigits;
  return (negative ? "-" : "") + digits.slice(0, point) + "." + digits.slice(point);
}

// ---------------------------------------------------------------------------
// The exact value of a double

/** Per-call scratch: written and read within one call that calls out to nothing. */
const doubleBits = new DataView(new ArrayBuffer(8));

/**
 * |d| = significand * 2^exponent exactly, for a finite d: the 52 stored fraction
 * bits plus the implicit leading 1 of a normal number, or exponent -1074 for
 * subnormals and zero. The sign is left to the caller.
 */
export function splitDouble(d: number): { significand: bigint; exponent: number } {
  doubleBits.setFloat64(0, d);
  const high = doubleBits.getUint32(0);
  const biased = (high >>> 20) & 0x7ff;
  const fraction = (BigInt(high & 0xfffff) << 32n) | BigInt(doubleBits.getUint32(4));
  if (biased === 0) return { significand: fraction, exponent: -1074 };
  return { significand: fraction | (1n << 52n), exponent: biased - 1075 };
}

// ---------------------------------------------------------------------------
// Long doubles

const enum LongDoubleKind {
  Finite,
  Infinite,
  NaN,
}

/**
 * An x87 80-bit extended value, as Redis's `long double` holds it on x86-64
 * Linux: 64-bit significand, exponents down to 2^-16445 (with gradual
 * underflow) and up to just under 2^16384. Immutable.
 * Finite values are significand * 2^exponent with significand < 2^64.
 */
export class LongDouble {
  static readonly ZERO = new LongDouble(LongDoubleKind.Finite, false, 0n, 0);

  private constructor(
    private readonly kind: LongDoubleKind,
    readonly negative: boolean,
    private readonly significand: bigint,
    private readonly exponent: number,
  ) {}

  /** Exact: every double is a long double. */
  static fromNumber(d: number): LongDouble {
    if (d !== d) return new LongDouble(LongDoubleKind.NaN, false, 0n, 0);
    if (d === Infinity || d === -Infinity) return new LongDouble(LongDoubleKind.Infinite, d < 0, 0n, 0);
    const negative = d < 0 || (d === 0 && 1 / d < 0);
    const { significand, exponent } = splitDouble(d);
    return new LongDouble(LongDoubleKind.Finite, negative, significand, exponent);
  }

  /** (long double) of a 64-bit integer: exact, as every int64 fits 64 bits. */
  static fromBigInt(value: bigint): LongDouble {
    const negative = value < 0n;
    const magnitude = negative ? -value : value;
    if (magnitude === 0n) return LongDouble.ZERO;
    roundBinary(magnitude, 0, false, LONG_DOUBLE_PRECISION, LONG_DOUBLE_MIN_LSB);
    return new LongDouble(LongDoubleKind.Finite, negative, rounded.significand, rounded.lsbExponent);
  }

  /** Rounds magnitude * 2^exponent (+ sticky) into a long double. */
  static fromExactBinary(negative: boolean, magnitude: bigint, exponent: number, sticky: boolean): LongDouble {
    if (magnitude === 0n) return new LongDouble(LongDoubleKind.Finite, negative, 0n, 0);
    roundBinary(magnitude, exponent, sticky, LONG_DOUBLE_PRECISION, LONG_DOUBLE_MIN_LSB);
    if (roundedOverflows(LONG_DOUBLE_MAX_EXPONENT)) return new LongDouble(LongDoubleKind.Infinite, negative, 0n, 0);
    return new LongDouble(LongDoubleKind.Finite, negative, rounded.significand, rounded.lsbExponent);
  }

  static infinity(negative: boolean): LongDouble {
    return new LongDouble(LongDoubleKind.Infinite, negative, 0n, 0);
  }

  static nan(): LongDouble {
    return new LongDouble(LongDoubleKind.NaN, false, 0n, 0);
  }

  isFinite(): boolean {
    return this.kind === LongDoubleKind.Finite;
  }

  isNaN(): boolean {
    return this.kind === LongDoubleKind.NaN;
  }

  isZero(): boolean {
    return this.kind === LongDoubleKind.Finite && this.significand === 0n;
  }

  /** this + other, rounded once as the x87 FPU does (round to nearest even). */
  add(other: LongDouble): LongDouble {
    if (this.kind === LongDoubleKind.NaN || other.kind === LongDoubleKind.NaN) return LongDouble.nan();
    if (this.kind === LongDoubleKind.Infinite) {
      if (other.kind === LongDoubleKind.Infinite && other.negative !== this.negative) return LongDouble.nan();
      return this;
    }
    if (other.kind === LongDoubleKind.Infinite) return other;
    if (other.significand === 0n) {
      // -0 + -0 is -0; any other sum with a zero is the other operand.
      if (this.significand === 0n) return new LongDouble(LongDoubleKind.Finite, this.negative && other.negative, 0n, 0);
      return this;
    }
    if (this.significand === 0n) return other;
    const exponent = Math.min(this.exponent, other.exponent);
    const left = this.significand << BigInt(this.exponent - exponent);
    const right = other.significand << BigInt(other.exponent - exponent);
    const sum = (this.negative ? -left : left) + (other.negative ? -right : right);
    if (sum === 0n) return LongDouble.ZERO;
    const negative = sum < 0n;
    return LongDouble.fromExactBinary(negative, negative ? -sum : sum, exponent, false);
  }

  /** The nearest double (what a C cast from long double gives). */
  toNumber(): number {
    if (this.kind === LongDoubleKind.NaN) return NaN;
    if (this.kind === LongDoubleKind.Infinite) return this.negative ? -Infinity : Infinity;
    if (this.significand === 0n) return this.negative ? -0 : 0;
    const magnitudeExponent = this.exponent + bitLength(this.significand);
    let value: number;
    if (magnitudeExponent > 1100) value = Infinity;
    else if (magnitudeExponent < -1100) value = 0;
    else {
      roundBinary(this.significand, this.exponent, false, DOUBLE_PRECISION, DOUBLE_MIN_LSB);
      value =
        roundedOverflows(DOUBLE_MAX_EXPONENT) ? Infinity : Number(rounded.significand) * powerOfTwo(rounded.lsbExponent);
    }
    return this.negative ? -value : value;
  }

  /**
   * ld2string(LD_STR_HUMAN): "%.17Lf" (exact, ties to even), then trailing
   * zeros and a dangling '.' dropped, "-0" turned into "0". No exponent ever:
   * 1e4000 prints as 4001 digits, as Redis does.
   */
  toHumanString(): string {
    if (this.kind === LongDoubleKind.NaN) return this.negative ? "-nan" : "nan";
    if (this.kind === LongDoubleKind.Infinite) return this.negative ? "-inf" : "inf";
    let scaled: bigint;
    if (this.exponent >= 0) {
      scaled = (this.significand << BigInt(this.exponent)) * TEN_POW_17;
    } else {
      const numerator = this.significand * TEN_POW_17;
      const shift = BigInt(-this.exponent);
      scaled = numerator >> shift;
      const remainder = numerator - (scaled << shift);
      const half = 1n << (shift - 1n);
      if (remainder > half || (remainder === half && (scaled & 1n) === 1n)) scaled += 1n;
    }
    return humanFromScaled(this.negative, scaled.toString());
  }
}

/** Builds the LD_STR_HUMAN text from the decimal digits of |value| * 10^17. */
function humanFromScaled(negative: boolean, scaledDigits: string): string {
  const padded = scaledDigits.length <= 17 ? "0".repeat(18 - scaledDigits.length) + scaledDigits : scaledDigits;
  const integerPart = padded.slice(0, padded.length - 17);
  const fraction = stripTrailingZeros(padded.slice(padded.length - 17));
  const text = integerPart + (fraction.length > 0 ? "." + fraction : "");
  return negative && text !== "0" ? "-" + text : text;
}

/** Longest argument string2ld accepts (MAX_LONG_DOUBLE_CHARS - 1). */
const MAX_LONG_DOUBLE_CHARS = 5 * 1024;

function decimalToLongDouble(bytes: Uint8Array): LongDouble {
  // Significant digits as one integer, the point folded into the exponent.
  let first = scanned.intStart;
  while (first < scanned.intEnd && bytes[first] === 48) first++;
  let digitsText = "";
  for (let i = first; i < scanned.intEnd; i++) digitsText += String.fromCharCode(bytes[i]!);
  for (let i = scanned.fracStart; i < scanned.fracEnd; i++) digitsText += String.fromCharCode(bytes[i]!);
  let leading = 0;
  while (leading < digitsText.length && digitsText.charCodeAt(leading) === 48) leading++;
  const negative = scanned.negative;
  if (leading === digitsText.length) return LongDouble.fromExactBinary(negative, 0n, 0, false);
  digitsText = digitsText.slice(leading);
  const decimalExponent = scanned.exponent - (scanned.fracEnd - scanned.fracStart);
  // value = digits * 10^decimalExponent, and 10^(magnitude-1) <= value < 10^magnitude.
  // Outside these bounds the answer is known without big arithmetic: the
  // largest long double is about 1.19e4932, the smallest about 3.65e-4951.
  const magnitude = digitsText.length + decimalExponent;
  if (magnitude > 4933) return LongDouble.infinity(negative);
  if (magnitude < -4951) return LongDouble.fromExactBinary(negative, 0n, 0, false);
  const digits = BigInt(digitsText);
  if (decimalExponent >= 0) {
    return LongDouble.fromExactBinary(negative, digits * 10n ** BigInt(decimalExponent), 0, false);
  }
  // digits / 10^-e: scale the numerator so the quotient keeps 66+ bits, the
  // remainder only telling whether anything was dropped.
  const denominator = 10n ** BigInt(-decimalExponent);
  const scale = Math.max(0, LONG_DOUBLE_PRECISION + 3 + bitLength(denominator) - bitLength(digits));
  const numerator = digits << BigInt(scale);
  const quotient = numerator / denominator;
  const sticky = numerator - quotient * denominator !== 0n;
  return LongDouble.fromExactBinary(negative, quotient, -scale, sticky);
}

function hexToLongDouble(bytes: Uint8Array): LongDouble {
  const { digits, exponent, sticky } = hexMantissa(bytes);
  const negative = scanned.negative;
  if (digits === 0n) return LongDouble.fromExactBinary(negative, 0n, 0, false);
  const magnitudeExponent = exponent + bitLength(digits);
  if (magnitudeExponent > 16400) return LongDouble.infinity(negative);
  if (magnitudeExponent < -16500) return LongDouble.fromExactBinary(negative, 0n, 0, false);
  return LongDouble.fromExactBinary(negative, digits, exponent, sticky);
}

/**
 * Redis's string2ld (INCRBYFLOAT/HINCRBYFLOAT operands): strtold on the whole
 * argument; refuses "", anything of 5120+ bytes, leading white space, trailing
 * bytes (an embedded NUL included), NaN, and finite literals that overflow the
 * long double range or underflow to zero. "inf" is accepted here: the command
 * itself then answers "increment would produce NaN or Infinity".
 */
export function parseLongDouble(bytes: Uint8Array): LongDouble | null {
  const length = bytes.length;
  if (length === 0 || length >= MAX_LONG_DOUBLE_CHARS || isCSpace(bytes[0]!)) return null;
  scanStrtod(bytes, 0, length);
  if (scanned.end !== length) return null;
  let value: LongDouble;
  switch (scanned.kind) {
    case ScanKind.None:
    case ScanKind.NaN:
      return null;
    case ScanKind.Infinity:
      return LongDouble.infinity(scanned.negative);
    case ScanKind.Decimal:
      value = decimalToLongDouble(bytes);
      break;
    case ScanKind.Hex:
      value = hexToLongDouble(bytes);
      break;
  }
  if (!value.isFinite()) return null;
  if (value.isZero() && !mantissaIsZero(bytes)) return null;
  return value;
}

/**
 * LD_STR_HUMAN text. For a LongDouble this is exact. For a plain double it is
 * an approximation of what Redis would print had it computed in long double:
 * the shortest decimal that reads back as the double, in fixed notation,
 * rounded to at most 17 decimals (so 10.5 + 0.1 prints "10.6", as in Redis,
 * where "%.17Lf" of the double itself would give "10.59999999999999964").
 * It can differ from Redis in the 16th-18th significant digit; prefer
 * LongDouble arithmetic where Redis uses long double.
 */
export function formatLongDoubleHuman(value: number | LongDouble): string {
  if (value instanceof LongDouble) return value.toHumanString();
  if (value !== value) return "nan";
  if (value === Infinity) return "inf";
  if (value === -Infinity) return "-inf";
  if (Number.isSafeInteger(value)) return value === 0 ? "0" : String(value);
  const negative = value < 0;
  // Shortest round-trip digits and their decimal exponent.
  const text = Math.abs(value).toExponential();
  const ePosition = text.indexOf("e");
  const digits = text[0]! + (ePosition > 1 ? text.slice(2, ePosition) : "");
  const exponent = Number(text.slice(ePosition + 1));
  // digits * 10^(exponent - digits.length + 1), scaled by 10^17: an integer
  // when there are at most 17 decimals, otherwise rounded half-even here.
  const scaleShift = exponent - digits.length + 1 + 17;
  let scaledDigits: string;
  if (scaleShift >= 0) {
    scaledDigits = digits + "0".repeat(scaleShift);
  } else if (-scaleShift > digits.length) {
    scaledDigits = "0";
  } else {
    const keep = digits.length + scaleShift;
    const kept = keep > 0 ? BigInt(digits.slice(0, keep)) : 0n;
    const dropped = digits.slice(keep);
    const firstDropped = dropped.charCodeAt(0) - 48;
    const restNonZero = /[1-9]/.test(dropped.slice(1));
    const roundUp = firstDropped > 5 || (firstDropped === 5 && (restNonZero || (kept & 1n) === 1n));
    scaledDigits = (roundUp ? kept + 1n : kept).toString();
  }
  return humanFromScaled(negative, scaledDigits);
}

// ---- exact sums of short decimals (INCRBYFLOAT, HINCRBYFLOAT) ----

/** m / 2^j: an exactDyadic value. */
export interface Dyadic {
  m: number;
  j: number;
}

/** 5^0 .. 5^15. */
const POWERS_OF_FIVE = Array.from({ length: 16 }, (_, i) => 5 ** i);
/** Binary places a dyadic operand may have: its decimals (r * 5^j < 10^15) stay exact in a double. */
const MAX_DYADIC_PLACES = 15;

/**
 * A decimal string as parseLongDouble accepts it whose value is exactly m / 2^j with
 * |m| <= 2^53 and j <= 15 ("3", "-0.25", "10.5", "1.5e1"): then its long double, a sum
 * of two of them, and that sum's "%.17Lf" are all exact, and doubles compute them
 * without BigInt. Null for any other string (hex, "inf", 0.1, long or bad input): the
 * caller takes the LongDouble path, which also replies the errors.
 */
export function exactDyadic(bytes: Uint8Array): Dyadic | null {
  const length = bytes.length;
  if (length === 0 || length > 40 || isCSpace(bytes[0]!)) return null;
  scanStrtod(bytes, 0, length);
  if (scanned.end !== length || scanned.kind !== ScanKind.Decimal) return null;
  // The value is D * 10^exponent, D the digits before and after the point as one
  // integer. Its trailing zeros go into the exponent; at most 15 significant digits
  // remain (D < 2^53).
  let digits = 0;
  let count = 0;
  let exponent = scanned.exponent - (scanned.fracEnd - scanned.fracStart);
  let last = scanned.fracEnd > scanned.fracStart ? scanned.fracEnd : scanned.intEnd;
  while (last > scanned.intStart && (bytes[last - 1] === 48 || bytes[last - 1] === 46)) {
    if (bytes[last - 1] === 48) exponent++;
    last--;
  }
  for (let i = scanned.intStart; i < last; i++) {
    const c = bytes[i]!;
    if (c === 46) continue;
    if (digits === 0 && c === 48) continue;
    digits = digits * 10 + (c - 48);
    if (++count > 15) return null;
  }
  let m: number;
  let j = 0;
  if (digits === 0) m = 0;
  else if (exponent >= 0) {
    if (exponent > 15) return null;
    m = digits * 10 ** exponent;
    if (m > Number.MAX_SAFE_INTEGER) return null;
  } else {
    j = -exponent;
    if (j > MAX_DYADIC_PLACES || digits % POWERS_OF_FIVE[j]! !== 0) return null;
    m = digits / POWERS_OF_FIVE[j]!;
  }
  return { m: scanned.negative ? -m : m, j };
}

/**
 * LD_STR_HUMAN text of a + b for two exactDyadic values, or null when the sum leaves
 * the exact range (the caller then adds as long doubles).
 */
function addDyadicHuman(a: Dyadic, b: Dyadic): string | null {
  const places = a.j > b.j ? a.j : b.j;
  const sum = a.m * 2 ** (places - a.j) + b.m * 2 ** (places - b.j);
  if (sum > Number.MAX_SAFE_INTEGER || sum < -Number.MAX_SAFE_INTEGER) return null;
  const magnitude = sum < 0 ? -sum : sum;
  const unit = 2 ** places;
  const whole = Math.floor(magnitude / unit);
  const rest = magnitude - whole * unit;
  let text = String(whole);
  if (rest !== 0) {
    // rest / 2^places has exactly `places` decimals: rest * 5^places of them.
    text += "." + stripTrailingZeros(String(rest * POWERS_OF_FIVE[places]!).padStart(places, "0"));
  }
  return sum < 0 ? "-" + text : text;
}

const ZERO_DYADIC: Dyadic = { m: 0, j: 0 };

/**
 * INCRBYFLOAT's and HINCRBYFLOAT's fast path: the LD_STR_HUMAN text of `current` (a
 * stored value; undefined when missing, 0) plus `increment` (exactDyadic of the
 * argument), when both are exact short decimals and so is the sum; else null, and
 * the caller adds as long doubles (and replies what does not parse).
 */
export function exactSumHuman(current: Uint8Array | undefined, increment: Dyadic | null): string | null {
  if (increment === null) return null;
  const base = current === undefined ? ZERO_DYADIC : exactDyadic(current);
  return base === null ? null : addDyadicHuman(base, increment);
}
