// math.random and math.randomseed as Redis 7.0 replaces them: the generator is
// redisLrand48 (Redis's rand.c, the 48-bit linear congruential generator of drand48,
// X' = (0x5DEECE66D * X + 0xB) mod 2^48, answering the top 31 bits of X'), so a script
// gets the same numbers on every platform, and the arithmetic is Lua 5.1's math_random.
//
// Where a script's sequence starts, in Redis 7.0: the state lives in rand.c's statics,
// one per process. It starts at X = 0x1234ABCD330E when the server starts, and nothing
// resets it: 7.0 dropped the reseeding every EVAL used to do (redisSrand48(0) in
// evalGenericCommand, removed with script verbatim replication by #9812). So each script
// continues the sequence where the previous one (EVAL or FCALL, any Lua state) left it,
// and math.randomseed(n) moves it for every script after too. This module holds that
// one state for the whole server; `resetScriptRandom` puts it back to the start, for a
// fresh server (and tests), not for each script.

import type { LuaState } from "../lua.ts";
import { toCIntViaLong } from "./lp64.ts";

/** The multiplier 0x5DEECE66D and addend 0xB, in 16-bit limbs as rand.c keeps them. */
const A0 = 0xe66d;
const A1 = 0xdeec;
const A2 = 0x5;
const C = 0xb;
/** The state at startup: 0x1234ABCD330E. */
const X0 = 0x330e;
const X1 = 0xabcd;
const X2 = 0x1234;
/** REDIS_LRAND48_MAX (INT32_MAX): math.random divides by it. */
const LRAND48_MAX = 2147483647;

/** The 48-bit state, low limb first; every product and sum below stays exact in a double. */
let x0 = X0;
let x1 = X1;
let x2 = X2;

/** redisLrand48: advances the state and returns its top 31 bits. */
export function redisLrand48(): number {
  const t0 = A0 * x0 + C;
  const t1 = A0 * x1 + A1 * x0 + Math.floor(t0 / 65536);
  const t2 = A0 * x2 + A1 * x1 + A2 * x0 + Math.floor(t1 / 65536);
  x0 = t0 & 0xffff;
  x1 = t1 & 0xffff;
  x2 = t2 & 0xffff;
  return x2 * 32768 + (x1 >>> 1);
}

/** redisSrand48: the state becomes `seed` (a C int) above 0x330E. */
export function redisSrand48(seed: number): void {
  x0 = X0;
  x1 = seed & 0xffff;
  x2 = (seed >>> 16) & 0xffff;
}

/** Back to the state a freshly started Redis has. */
export function resetScriptRandom(): void {
  x0 = X0;
  x1 = X1;
  x2 = X2;
}

/**
 * Replaces math.random and math.randomseed in `lua`. Redis refuses both outside a script
 * invocation (in FUNCTION LOAD's top-level code, for example): `insideScript` says whether
 * one is running.
 */
export function openMathRandom(lua: LuaState, insideScript: () => boolean = () => true): void {
  const random = (L: number): number => {
    if (!insideScript()) lua.raiseWithPosition("math.random can only be called inside a script invocation", L);
    // Drawn before the arguments are checked, as Redis does: a failing call still advances it.
    const r = (redisLrand48() % LRAND48_MAX) / LRAND48_MAX;
    switch (lua.top(L)) {
      case 0:
        lua.pushNumber(r, L);
        break;
      case 1: {
        const upper = toCIntViaLong(lua.checkNumber(1, L));
        if (upper < 1) lua.argumentError(1, "interval is empty", L);
        lua.pushNumber(Math.floor(r * upper) + 1, L);
        break;
      }
      case 2: {
        const lower = toCIntViaLong(lua.checkNumber(1, L));
        const upper = toCIntViaLong(lua.checkNumber(2, L));
        if (lower > upper) lua.argumentError(2, "interval is empty", L);
        // u - l + 1 is C int arithmetic: it wraps for the widest intervals.
        lua.pushNumber(Math.floor(r * ((upper - lower + 1) | 0)) + lower, L);
        break;
      }
      default:
        lua.raiseWithPosition("wrong number of arguments", L);
    }
    return 1;
  };

  const randomseed = (L: number): number => {
    if (!insideScript()) lua.raiseWithPosition("math.randomseed can only be called inside a script invocation", L);
    redisSrand48(toCIntViaLong(lua.checkNumber(1, L)));
    return 0;
  };

  lua.getGlobal("math");
  lua.setFunctionField("random", random);
  lua.setFunctionField("randomseed", randomseed);
  lua.pop(1);
}
