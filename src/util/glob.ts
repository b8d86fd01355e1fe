// Redis's glob dialect (stringmatchlen in util.c), used by KEYS, SCAN MATCH,
// PSUBSCRIBE, CONFIG GET and friends. It works on bytes:
//
//   *        any run of bytes, including none
//   ?        exactly one byte
//   [abc]    one byte of the set; [^abc] one byte not in it; [a-z] a range
//            (a reversed range [z-a] is swapped); \x inside a set is a literal x
//   \x       a literal x; a trailing lone backslash is a literal backslash
//
// Redis matches recursively, with one level of recursion per '*' and the
// skipLongerMatches flag (added in 7.0.9) to stop the exponential retry of
// earlier stars. Every non-star token consumes exactly one subject byte, so the
// classic two-cursor matcher that only ever backtracks to the most recent star
// answers the same question in O(pattern x subject) time, without recursion
// (so no stack overflow on a pattern of 100k stars) and without allocating.
//
// Quirks reproduced on purpose, because clients can observe them:
// - An empty subject matches only the empty pattern: Redis's loop needs both a
//   pattern byte and a subject byte to start, so "*" does not match "" (KEYS
//   and SCAN special-case the bare "*" pattern before calling the matcher; see
//   isMatchAllPattern).
// - A set that is never closed ("[abc") ends at the end of the pattern; "["
//   alone matches nothing and "[^" matches any one byte.
// - "[a-]" is the range a..']' (Redis reads the byte after '-' even when it is
//   the closing bracket), and the set then continues to the next ']'.
// - Range bounds compare as C `char`, which is signed on x86-64 Linux: bytes
//   0x80..0xff are -128..-1, so "[\xff-a]" matches 0x00..'a' and 0xff.
// - With nocase, only A-Z fold (the C locale's tolower); an escaped byte inside
//   a set ("[\A]") is still compared case-sensitively, as in Redis.

const STAR = 0x2a; // *
const QUESTION = 0x3f; // ?
const OPEN_BRACKET = 0x5b; // [
const CLOSE_BRACKET = 0x5d; // ]
const BACKSLASH = 0x5c; // \
const CARET = 0x5e; // ^
const DASH = 0x2d; // -

/** C-locale tolower on a byte (or on a signed char value: negatives pass through). */
function foldCase(c: number): number {
  return c >= 65 && c <= 90 ? c + 32 : c;
}

/** The byte as a signed C char, as range bounds are compared in Redis. */
function signedChar(byte: number): number {
  return byte >= 128 ? byte - 256 : byte;
}

/**
 * Parses one "[...]" set whose first byte after '[' is at `index` and tests
 * `subjectByte` against it. Returns (index after the set) * 2 + (1 if matched).
 * Packing both results in one number keeps the hot path allocation-free.
 */
function matchSet(pattern: Uint8Array, index: number, subjectByte: number, nocase: boolean): number {
  const patternLength = pattern.length;
  let i = index;
  // Past the end the C code reads the sds NUL terminator: 0 here.
  const negated = i < patternLength && pattern[i] === CARET;
  if (negated) i++;
  let matched = false;
  for (;;) {
    const byte = i < patternLength ? pattern[i]! : 0;
    if (byte === BACKSLASH && patternLength - i >= 2) {
      i++;
      if (pattern[i] === subjectByte) matched = true;
    } else if (byte === CLOSE_BRACKET && i < patternLength) {
      break;
    } else if (i >= patternLength) {
      // Unterminated set: Redis steps back so the shared "advance" below lands
      // exactly on the end of the pattern.
      i--;
      break;
    } else if (patternLength - i >= 3 && pattern[i + 1] === DASH) {
      let start = signedChar(byte);
      let end = signedChar(pattern[i + 2]!);
      let c = signedChar(subjectByte);
      if (start > end) {
        const swap = start;
        start = end;
        end = swap;
      }
      if (nocase) {
        start = foldCase(start);
        end = foldCase(end);
        c = foldCase(c);
      }
      i += 2;
      if (c >= start && c <= end) matched = true;
    } else if (nocase ? foldCase(byte) === foldCase(subjectByte) : byte === subjectByte) {
      matched = true;
    }
    i++;
  }
  if (negated) matched = !matched;
  return (i + 1) * 2 + (matched ? 1 : 0);
}

/**
 * Matches one non-star token of the pattern at `index` against one subject
 * byte. Returns the pattern index after the token, or -1 when it does not match.
 */
function matchToken(pattern: Uint8Array, index: number, subjectByte: number, nocase: boolean): number {
  let byte = pattern[index]!;
  if (byte === QUESTION) return index + 1;
  if (byte === OPEN_BRACKET) {
    const packed = matchSet(pattern, index + 1, subjectByte, nocase);
    return (packed & 1) === 1 ? (packed - 1) / 2 : -1;
  }
  if (byte === BACKSLASH && pattern.length - index >= 2) {
    index++;
    byte = pattern[index]!;
  }
  const equal = nocase ? foldCase(byte) === foldCase(subjectByte) : byte === subjectByte;
  return equal ? index + 1 : -1;
}

/** Does `subject` match the Redis glob `pattern`? See the file comment for the dialect. */
export function globMatch(pattern: Uint8Array, subject: Uint8Array, nocase = false): boolean {
  const patternLength = pattern.length;
  const subjectLength = subject.length;
  if (subjectLength === 0) return patternLength === 0;

  let p = 0;
  let s = 0;
  // Where to resume after the most recent star: the pattern index after it,
  // and the subject index the star's run currently ends at.
  let resumePattern = -1;
  let resumeSubject = 0;

  while (s < subjectLength) {
    if (p < patternLength && pattern[p] === STAR) {
      while (p < patternLength && pattern[p] === STAR) p++;
      if (p === patternLength) return true;
      resumePattern = p;
      resumeSubject = s;
      continue;
    }
    if (p < patternLength) {
      const patternByte = pattern[p]!;
      const subjectByte = subject[s]!;
      let next: number;
      if (patternByte !== QUESTION && patternByte !== OPEN_BRACKET && patternByte !== BACKSLASH) {
        // A plain byte, the common case, without the call.
        next = patternByte === subjectByte || (nocase && foldCase(patternByte) === foldCase(subjectByte)) ? p + 1 : -1;
      } else {
        next = matchToken(pattern, p, subjectByte, nocase);
      }
      if (next >= 0) {
        p = next;
        s++;
        continue;
      }
    }
    // Mismatch (or pattern exhausted with subject left): let the last star
    // swallow one more byte. Earlier stars never need retrying.
    if (resumePattern < 0) return false;
    resumeSubject++;
    s = resumeSubject;
    p = resumePattern;
  }
  while (p < patternLength && pattern[p] === STAR) p++;
  return p === patternLength;
}

/**
 * True when the pattern has no special bytes, so it matches exactly one subject:
 * itself (case-sensitively). KEYS/SCAN can then look the key up directly.
 */
export function globIsLiteral(pattern: Uint8Array): boolean {
  for (let i = 0; i < pattern.length; i++) {
    const byte = pattern[i]!;
    if (byte === STAR || byte === QUESTION || byte === OPEN_BRACKET || byte === BACKSLASH) return false;
  }
  return true;
}

/**
 * True for the bare "*" pattern, which KEYS and SCAN treat as "every key"
 * without calling the matcher (so it also returns the empty key, which
 * globMatch("*", "") does not).
 */
export function isMatchAllPattern(pattern: Uint8Array): boolean {
  return pattern.length === 1 && pattern[0] === STAR;
}
