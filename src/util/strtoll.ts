// C's strtoll, for the places Redis reads an integer with it (or atoll) and takes what
// leads the text: config values, RDB AUX fields, the AOF manifest, a master's replies.

import { isCSpace } from "./float.ts";

const LLONG_MIN_BIG = -9223372036854775808n;
const LLONG_MAX_BIG = 9223372036854775807n;

/**
 * C strtoll: optional leading space and sign, then digits of `base`, saturating on
 * overflow. `rest` is what follows the number (the whole input when no digit was read).
 */
export function strtoll(text: string, base: 8 | 10): { value: bigint; rest: string; overflow: boolean } {
  let i = 0;
  while (i < text.length && isCSpace(text.charCodeAt(i))) i++;
  let negative = false;
  if (i < text.length && (text[i] === "+" || text[i] === "-")) {
    negative = text[i] === "-";
    i++;
  }
  const digitsStart = i;
  let value = 0n;
  const bigBase = BigInt(base);
  while (i < text.length) {
    const digit = text.charCodeAt(i) - 48;
    if (digit < 0 || digit >= base) break;
    value = value * bigBase + BigInt(digit);
    i++;
  }
  if (i === digitsStart) return { value: 0n, rest: text, overflow: false };
  if (negative) value = -value;
  if (value > LLONG_MAX_BIG) return { value: LLONG_MAX_BIG, rest: text.slice(i), overflow: true };
  if (value < LLONG_MIN_BIG) return { value: LLONG_MIN_BIG, rest: text.slice(i), overflow: true };
  return { value, rest: text.slice(i), overflow: false };
}

/** atoll, or strtoll(text, NULL, 10): the leading integer, 0 when there is none. */
export function atoll(text: string): number {
  return Number(strtoll(text, 10).value);
}
