// Where the keyspace keeps its keys and its short plain strings: fixed-size segments
// of bytes (KeyTable has one arena for keys and one for values).
//
// A value's location is one 32-bit number (segment << 20 | offset). A replaced or
// deleted value's bytes become a *hole*, reused by the next value of exactly that
// length (a SET over a same-size value reuses its bytes, as malloc would), but only
// from the next command on (CommandEpoch): until the command that freed them ends,
// they may still be read through a view (GETSET replies the old value after storing
// the new one). Other garbage is counted per segment; a segment with nothing live left
// is dropped.
//
// Partly empty segments are reclaimed without a pause: when garbage outweighs live
// bytes, the sparse segments are *condemned*, and the owner (KeyTable) walks its slots
// a few at a time, on each write, moving the values that sit in condemned segments to
// the current one (`relocate`). When the walk ends those segments are empty and gone.
// Growth never copies more than one segment either: Redis's allocator has no stop-the-
// world step, and neither should this.

import { writeIntegerDigits } from "./bytes.ts";

export const OFFSET_BITS = 20;
export const SEGMENT_SIZE = 1 << OFFSET_BITS;
export const OFFSET_MASK = SEGMENT_SIZE - 1;
/**
 * Locations are 32-bit: 4095 segments of 1 MiB (so no location is 0xffffffff, which
 * KeyTable uses as "not in the arena"). Past that, the owner keeps bytes elsewhere.
 */
const MAX_SEGMENTS = 4095;
/** A location no arena byte has. */
export const NO_LOCATION = 0xffffffff;
/** Reclaiming starts only above this much garbage. */
const MIN_GARBAGE_TO_RECLAIM = 4 * SEGMENT_SIZE;
/** Freed byte runs up to this length (KeyTable's INLINE_MAX) are kept for reuse by a value of the same length. */
const MAX_HOLE_LENGTH = 4096;
/** At most this many holes are remembered (16 bytes each); more become plain garbage. */
const MAX_HOLES = 1 << 20;

/**
 * The command counter of one server (Server.call calls boundary() as each command
 * starts), shared by its databases' tables and arenas: bytes freed during a command are
 * reused only from the next one on, since the command may still read them through a view.
 *
 * The rule: a view read in a command stays valid until that command ends. A nested
 * call() (EXEC running its queue; a script's redis.call, when scripting comes) is a
 * command of its own and starts with a boundary too, so the bytes one queued command
 * frees are reused by the next (a long transaction leaves no garbage behind and can
 * overwrite in place). The price: the outer command's views end when it runs another
 * command, so a command that runs others must copy what it reads from the keyspace
 * (a reply, a script's value, is a copy) before it does.
 *
 * One per server, never module state: two servers in a process, or a table built by a
 * tool or a test, count their own commands. A standalone KeyTable or Database gets one of
 * its own; whoever runs commands against it calls boundary().
 */
export class CommandEpoch {
  value = 0;
  /**
   * Values opened for writing since the last boundary, to be measured again once the
   * command that changed them is done (a value is modified in place after its lookup).
   * The arrays are reused, not emptied: this runs for every write command.
   */
  private touchedTables: { remeasure(slot: number): void }[] = [];
  private touchedSlots: number[] = [];
  private touchedCount = 0;

  boundary(): void {
    this.value++;
    if (this.touchedCount !== 0) this.settle();
  }

  /** A value opened for writing (KeyTable.noteWrite). */
  touch(table: { remeasure(slot: number): void }, slot: number): void {
    const n = this.touchedCount++;
    this.touchedTables[n] = table;
    this.touchedSlots[n] = slot;
  }

  /** Brings the memory count up to date: between commands, never inside one. */
  settle(): void {
    const tables = this.touchedTables;
    const slots = this.touchedSlots;
    const count = this.touchedCount;
    // usedMemory() asks before every command under maxmemory: most times nothing was touched.
    if (count === 0) return;
    this.touchedCount = 0;
    for (let i = 0; i < count; i++) tables[i]!.remeasure(slots[i]!);
    // A command that wrote many keys (a script, a long EXEC) leaves big arrays: let them go.
    if (count > 1024) {
      tables.length = 0;
      slots.length = 0;
    }
  }
}

/**
 * Segments are SharedArrayBuffers: a snapshot worker thread reads keys and values where
 * they lie (snapshot-worker.ts). Reads and writes cost the same as on a plain buffer.
 */
function sharedSegment(size: number): Uint8Array {
  return new Uint8Array(new SharedArrayBuffer(size));
}

/** The first segment starts this small and doubles: a database with a few keys stays small. */
const FIRST_SEGMENT_BYTES = 256;

export class ValueArena {
  constructor(private readonly epoch: CommandEpoch = new CommandEpoch()) {}

  private segments: (Uint8Array | null)[] = [];
  /** Per segment: bytes of live values, and bytes written (live + garbage). */
  private segmentLive: number[] = [];
  private segmentUsed: number[] = [];
  /** Bumped when a segment is dropped, so holes recorded in it before are known stale. */
  private segmentGeneration: number[] = [];
  /** Reusable holes by exact length: [location, generation] pairs. */
  private holes: (number[] | undefined)[] = [];
  private holeCount = 0;
  /** Holes freed during the current command: [location, length, generation] triples. */
  private pending: number[] = [];
  private pendingEpoch = -1;
  private condemned = new Uint8Array(0);
  private freeSegmentIds: number[] = [];
  private current = -1;
  private currentEnd = 0;
  /** Bytes of live values. */
  liveBytes = 0;
  /** Bytes written to segments that still exist (live + garbage). */
  private usedBytes = 0;
  /** True while condemned segments wait for their values to be relocated. */
  reclaiming = false;
  /** After a check that found no sparse segment, the next one waits for this much garbage. */
  private nextCheckGarbage = MIN_GARBAGE_TO_RECLAIM;

  /**
   * The segments as they are now, for a snapshot worker (keytable.ts holdForSnapshot): a
   * copy of the list, so segments added, grown or dropped later leave the worker's alone.
   */
  sharedSegments(): (Uint8Array | null)[] {
    return this.segments.slice();
  }

  /** Bytes the segments take (capacity, garbage included). */
  get allocatedBytes(): number {
    let total = 0;
    for (const segment of this.segments) total += segment?.length ?? 0;
    return total;
  }

  /** Copies `value` in; returns its location, or -1 when the arena is at its size limit. */
  store(value: Uint8Array): number {
    const length = value.length;
    const location = this.allocate(length);
    if (location < 0) return -1;
    const segment = this.segments[location >>> OFFSET_BITS]!;
    const at = location & OFFSET_MASK;
    if (length < 64) {
      for (let i = 0; i < length; i++) segment[at + i] = value[i]!;
    } else {
      segment.set(value, at);
    }
    return location;
  }

  /** Like store(), for the decimal form of a safe integer (`length` = integerDigitCount(n)). */
  storeInteger(n: number, length: number): number {
    const location = this.allocate(length);
    if (location >= 0) writeIntegerDigits(this.segments[location >>> OFFSET_BITS]!, location & OFFSET_MASK, n, length);
    return location;
  }

  /** overwrite() with the decimal form of a safe integer of the same length. */
  overwriteInteger(location: number, n: number, length: number): void {
    writeIntegerDigits(this.segments[location >>> OFFSET_BITS]!, location & OFFSET_MASK, n, length);
  }

  /** Like store(), for a binary string (one byte per char). */
  storeString(text: string): number {
    const length = text.length;
    const location = this.allocate(length);
    if (location < 0) return -1;
    const segment = this.segments[location >>> OFFSET_BITS]!;
    const at = location & OFFSET_MASK;
    for (let i = 0; i < length; i++) segment[at + i] = text.charCodeAt(i);
    return location;
  }

  /**
   * Room for `length` bytes: a hole of exactly that length freed by an earlier command
   * (a SET over a value of the same size reuses its bytes, as malloc would), else the
   * end of the current segment. Accounts the bytes as live.
   */
  private allocate(length: number): number {
    if (length > SEGMENT_SIZE) return -1;
    if (length <= MAX_HOLE_LENGTH) {
      if (this.pending.length > 0 && this.pendingEpoch !== this.epoch.value) this.releasePending();
      const holes = this.holes[length];
      while (holes !== undefined && holes.length > 0) {
        const generation = holes.pop()!;
        const location = holes.pop()!;
        this.holeCount--;
        const id = location >>> OFFSET_BITS;
        // A hole of a segment dropped since (and maybe reused) or condemned is stale.
        if (this.segmentGeneration[id] !== generation || this.condemned[id] === 1) continue;
        this.segmentLive[id]! += length;
        this.liveBytes += length;
        return location;
      }
    }
    if (this.current < 0 || this.currentEnd + length > this.segments[this.current]!.length) {
      if (!this.makeRoom(length)) return -1;
    }
    const at = this.currentEnd;
    this.currentEnd = at + length;
    this.segmentLive[this.current]! += length;
    this.segmentUsed[this.current]! += length;
    this.liveBytes += length;
    this.usedBytes += length;
    return (this.current << OFFSET_BITS) | at;
  }

  /** Holes freed by earlier commands become reusable: no view of their bytes is still in use. */
  private releasePending(): void {
    const pending = this.pending;
    for (let i = 0; i < pending.length; i += 3) {
      const length = pending[i + 1]!;
      if (this.holeCount >= MAX_HOLES) break;
      (this.holes[length] ??= []).push(pending[i]!, pending[i + 2]!);
      this.holeCount++;
    }
    pending.length = 0;
  }

  /** The segment holding `location` (compare in place with offsetOf, without a view). */
  segmentOf(location: number): Uint8Array {
    return this.segments[location >>> OFFSET_BITS]!;
  }

  offsetOf(location: number): number {
    return location & OFFSET_MASK;
  }

  /** Replaces the bytes at `location` with `value`'s (same length): for a value no view of which exists. */
  overwrite(location: number, value: Uint8Array): void {
    const segment = this.segments[location >>> OFFSET_BITS]!;
    const at = location & OFFSET_MASK;
    const length = value.length;
    if (length < 64) {
      for (let i = 0; i < length; i++) segment[at + i] = value[i]!;
    } else {
      segment.set(value, at);
    }
  }

  /** Copies the bytes at `location` into `target` (no view is made). */
  copyOut(location: number, length: number, target: Uint8Array, at: number): void {
    const segment = this.segments[location >>> OFFSET_BITS]!;
    const from = location & OFFSET_MASK;
    if (length < 64) {
      for (let i = 0; i < length; i++) target[at + i] = segment[from + i]!;
    } else {
      target.set(segment.subarray(from, from + length), at);
    }
  }

  view(location: number, length: number): Uint8Array {
    const at = location & OFFSET_MASK;
    return this.segments[location >>> OFFSET_BITS]!.subarray(at, at + length);
  }

  /** The value at `location` is no longer referenced by the table. */
  release(location: number, length: number): void {
    const id = location >>> OFFSET_BITS;
    this.liveBytes -= length;
    const live = (this.segmentLive[id] = this.segmentLive[id]! - length);
    if (live === 0 && id !== this.current) {
      this.dropSegment(id);
      return;
    }
    if (length === 0 || length > MAX_HOLE_LENGTH) return;
    // The bytes may still be read through a view until this command ends (GETSET
    // replies the old value after storing the new one): reusable from the next one.
    const epoch = this.epoch.value;
    if (this.pending.length > 0 && this.pendingEpoch !== epoch) this.releasePending();
    this.pendingEpoch = epoch;
    this.pending.push(location, length, this.segmentGeneration[id]!);
  }

  /** Whether the value at `location` must move (its segment is condemned). */
  isCondemned(location: number): boolean {
    return this.condemned[location >>> OFFSET_BITS] === 1;
  }

  /** Moves a value out of a condemned segment; returns its new location (-1: arena full, keep it where it is). */
  relocate(location: number, length: number): number {
    const moved = this.store(this.view(location, length));
    if (moved >= 0) this.release(location, length);
    return moved;
  }

  /**
   * Called by the owner before a write: true when garbage outweighs live bytes and the
   * sparse segments were just condemned, so the owner should start walking its slots.
   */
  shouldStartReclaiming(): boolean {
    if (this.reclaiming) return false;
    const garbage = this.usedBytes - this.liveBytes;
    if (garbage < this.nextCheckGarbage || garbage < this.liveBytes) return false;
    let any = false;
    if (this.condemned.length < this.segments.length) {
      const grown = new Uint8Array(MAX_SEGMENTS);
      grown.set(this.condemned);
      this.condemned = grown;
    }
    for (let id = 0; id < this.segments.length; id++) {
      const segment = this.segments[id];
      if (segment === null || segment === undefined || id === this.current) continue;
      if (this.segmentLive[id]! * 2 < segment.length) {
        this.condemned[id] = 1;
        any = true;
      }
    }
    if (any) {
      // Holes mostly lie in the condemned segments; the rest are found again as garbage.
      this.holes = [];
      this.holeCount = 0;
    }
    this.reclaiming = any;
    this.nextCheckGarbage = any ? MIN_GARBAGE_TO_RECLAIM : garbage + SEGMENT_SIZE;
    return any;
  }

  /** The owner walked every slot: condemned segments are empty now. */
  finishReclaiming(): void {
    this.reclaiming = false;
    for (let id = 0; id < this.condemned.length; id++) {
      if (this.condemned[id] === 0) continue;
      this.condemned[id] = 0;
      // Empty unless a relocation failed for lack of room; then it simply stays.
      if (this.segments[id] !== null && this.segmentLive[id] === 0) this.dropSegment(id);
    }
  }

  private makeRoom(length: number): boolean {
    const current = this.current >= 0 ? this.segments[this.current]! : null;
    // The current segment doubles (copying at most half a segment) until it is full size.
    if (current !== null && current.length < SEGMENT_SIZE && this.currentEnd + length <= SEGMENT_SIZE) {
      const grown = sharedSegment(Math.min(SEGMENT_SIZE, Math.max(current.length * 2, this.currentEnd + length)));
      grown.set(current.subarray(0, this.currentEnd));
      this.segments[this.current] = grown;
      return true;
    }
    if (current !== null) {
      // The segment being left may hold nothing live any more.
      const left = this.current;
      this.current = -1;
      if (this.segmentLive[left] === 0) this.dropSegment(left);
    }
    let id = this.freeSegmentIds.pop();
    if (id === undefined) {
      if (this.segments.length >= MAX_SEGMENTS) return false;
      id = this.segments.length;
      this.segments.push(null);
      this.segmentLive.push(0);
      this.segmentUsed.push(0);
      this.segmentGeneration.push(0);
    }
    const first = this.usedBytes === 0 && this.segments.length === 1;
    this.segments[id] = sharedSegment(first ? Math.max(FIRST_SEGMENT_BYTES, length) : SEGMENT_SIZE);
    this.segmentLive[id] = 0;
    this.segmentUsed[id] = 0;
    this.current = id;
    this.currentEnd = 0;
    return true;
  }

  private dropSegment(id: number): void {
    this.segmentGeneration[id]!++;
    this.usedBytes -= this.segmentUsed[id]!;
    this.segments[id] = null;
    this.segmentLive[id] = 0;
    this.segmentUsed[id] = 0;
    if (id < this.condemned.length) this.condemned[id] = 0;
    this.freeSegmentIds.push(id);
  }
}
