// The result a library function builds before pushing it (string.format's text,
// struct.pack's bytes): a growable byte buffer kept from call to call, like the
// luaL_Buffer the C code fills. Short copies go byte by byte, because making a subarray
// to copy five bytes costs more than copying them (see lua-raw.ts).

import type { LuaState } from "../lua.ts";
import { pushByteArray } from "./lua-raw.ts";

const SHORT_COPY = 16;

export class ByteOutput {
  bytes = new Uint8Array(256);
  length = 0;

  reserve(extra: number): void {
    const needed = this.length + extra;
    if (needed <= this.bytes.length) return;
    const grown = new Uint8Array(Math.max(needed, this.bytes.length * 2));
    grown.set(this.bytes.subarray(0, this.length));
    this.bytes = grown;
  }

  byte(value: number): void {
    if (this.length === this.bytes.length) this.reserve(1);
    this.bytes[this.length++] = value;
  }

  /** `count` copies of `value`. */
  repeat(value: number, count: number): void {
    if (count <= 0) return;
    this.reserve(count);
    this.bytes.fill(value, this.length, this.length + count);
    this.length += count;
  }

  /** ASCII text (digits, signs). */
  text(value: string): void {
    this.reserve(value.length);
    for (let i = 0; i < value.length; i++) this.bytes[this.length++] = value.charCodeAt(i);
  }

  /** source[start, end): a range of the VM's memory, or of any byte array. */
  copyFrom(source: Uint8Array, start: number, end: number): void {
    const count = end - start;
    this.reserve(count);
    if (count <= SHORT_COPY) {
      for (let i = start; i < end; i++) this.bytes[this.length++] = source[i]!;
    } else {
      this.bytes.set(source.subarray(start, end), this.length);
      this.length += count;
    }
  }

  /** Pushes the bytes as a Lua string. */
  push(lua: LuaState, L: number): void {
    pushByteArray(lua, L, this.bytes, this.length);
  }
}
