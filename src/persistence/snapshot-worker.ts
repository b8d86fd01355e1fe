// The snapshot worker: a thread of the server that reads the keyspace's shared memory
// for a background save, so that the server thread does not.
//
// Most keys of a dataset are short strings kept, key and value, in the key table's
// arenas, whose pages and segments are SharedArrayBuffers (keytable.ts, value-arena.ts).
// For a save, the coordinator (snapshot.ts) posts this thread a job per source (one
// database's table): its shared arrays as they were at the epoch, and one claim byte
// per epoch slot. The worker walks the slots and, for each arena record it can claim,
// copies key, value and expiry into a batch of records; full batches go back as
// ready-made "keys" frames in a pool of shared buffers (snapshot-protocol.ts), which the
// server thread only hands to the writer's socket. Values that are JS objects
// (collections, long strings, keys too long for the arena) are left to the server
// thread, which walks the same slots for them.
//
// The server thread goes on changing the table meanwhile. What makes reading it safe:
// - a slot is read only after moving its claim from UNCLAIMED to READING, and kept only
//   if READING can then be moved to STREAMED. The copy-on-write hook claims a slot
//   (UNCLAIMED or READING -> PRESERVED) before any change to its key, so a record
//   read while the key changed is dropped, and its epoch value is the hook's copy;
// - while the job runs the table gives no freed slot to a new key, moves no arena bytes
//   and is not reset (KeyTable.holdForSnapshot), so an unclaimed slot still holds its
//   epoch key, value and expiry where the job's arrays say;
// - segments dropped or replaced later are the server's business: the job keeps the
//   epoch's list, whose buffers stay alive as long as it holds them.
// Flow control: when no pool buffer is free, the worker waits (Atomics.wait) for the
// server thread to free one, which it does once the writer's socket took its frame.
//
// This module is the worker's program: its top-level state is that one thread's.

import { readlinkSync } from "node:fs";
import { setPriority } from "node:os";
import { PAGE_BITS, PAGE_MASK, SLOT_ARENA_RECORD, type SharedTableView } from "../db/keytable.ts";
import { OFFSET_BITS, OFFSET_MASK } from "../db/value-arena.ts";
import { CHILD_NICENESS } from "./child.ts";
import {
  CLAIM_READING,
  CLAIM_STREAMED,
  CLAIM_UNCLAIMED,
  BATCH_KEYS,
  CONTROL_CANCEL,
  CONTROL_FREED,
  CONTROL_POOL,
  KeyRecords,
  POOL_BATCH_BYTES,
  RAW_STRING_TYPE,
  writeKeysFrame,
} from "./snapshot-protocol.ts";

export interface WorkerSource {
  dbIndex: number;
  view: SharedTableView;
  /** One claim byte per slot below view.slotCount. */
  claims: Uint8Array;
}

/** A job: one source's arena records. */
export interface WorkerJob {
  job: number;
  source: WorkerSource;
  /** CONTROL_* cells (snapshot-protocol.ts), with one per pool buffer. */
  control: Int32Array;
  /** The pool's buffers (SharedArrayBuffers). */
  pool: Uint8Array[];
}

export type WorkerReply =
  /** A frame in pool buffer `buffer`, `length` bytes. */
  | { job: number; buffer: number; length: number }
  | { job: number; done: true; keys: number }
  | { job: number; error: string };

declare const self: Worker;

// Linux nice values are per thread: the worker takes the children's (child.ts), so that a
// busy server thread is never made to wait for it. Not permitted somewhere: full speed.
try {
  setPriority(Number(readlinkSync("/proc/thread-self").split("/").pop()), CHILD_NICENESS);
} catch {
  // No /proc, or not allowed.
}

self.onmessage = (event: MessageEvent<WorkerJob>) => {
  const job = event.data;
  try {
    const keys = runJob(job);
    self.postMessage({ job: job.job, done: true, keys } satisfies WorkerReply);
  } catch (error) {
    self.postMessage({ job: job.job, error: error instanceof Error ? error.message : String(error) } satisfies WorkerReply);
  }
};

/** Takes a free pool buffer (its index), waiting for one; -1 when the job is cancelled meanwhile. */
function takeBuffer(job: WorkerJob): number {
  const { control, pool } = job;
  for (;;) {
    const freed = Atomics.load(control, CONTROL_FREED);
    for (let i = 0; i < pool.length; i++) {
      if (Atomics.compareExchange(control, CONTROL_POOL + i, 0, 1) === 0) return i;
    }
    if (Atomics.load(control, CONTROL_CANCEL) !== 0) return -1;
    Atomics.wait(control, CONTROL_FREED, freed, 50);
  }
}

function runJob(job: WorkerJob): number {
  const { control } = job;
  const batch = new KeyRecords();
  let streamed = 0;
  const post = (dbIndex: number): void => {
    if (batch.count === 0) return;
    const buffer = takeBuffer(job);
    if (buffer >= 0) {
      const length = writeKeysFrame(job.pool[buffer]!, dbIndex, batch.count, batch.contents());
      self.postMessage({ job: job.job, buffer, length } satisfies WorkerReply);
    }
    batch.clear();
  };
  const source = job.source;
  const { pages, keySegments, valueSegments, slotCount } = source.view;
  const claims = source.claims;
  for (let slot = 0; slot < slotCount; slot++) {
    if ((slot & 1023) === 0 && Atomics.load(control, CONTROL_CANCEL) !== 0) return streamed;
    const page = pages[slot >>> PAGE_BITS]!;
    const i = slot & PAGE_MASK;
    if (page.kind[i] !== SLOT_ARENA_RECORD) continue;
    if (Atomics.compareExchange(claims, slot, CLAIM_UNCLAIMED, CLAIM_READING) !== CLAIM_UNCLAIMED) continue;
    const length = batch.length;
    const count = batch.count;
    const complete = readRecord(batch, page, i, keySegments, valueSegments);
    if (Atomics.compareExchange(claims, slot, CLAIM_READING, CLAIM_STREAMED) !== CLAIM_READING) {
      // The server changed the key meanwhile and sends its epoch value itself.
      batch.truncate(length, count);
      continue;
    }
    if (!complete) throw new Error(`slot ${slot} of db ${source.dbIndex} points outside the arenas`);
    streamed++;
    if (batch.count >= BATCH_KEYS || batch.length >= POOL_BATCH_BYTES) post(source.dbIndex);
  }
  post(source.dbIndex);
  return streamed;
}

/**
 * Appends the record of slot `i` of `page`; false (nothing usable appended) when its
 * locations lead outside the segments, which a slot changing under the reader can do.
 */
function readRecord(
  batch: KeyRecords,
  page: SharedTableView["pages"][number],
  i: number,
  keySegments: (Uint8Array | null)[],
  valueSegments: (Uint8Array | null)[],
): boolean {
  const keyLocation = page.keyLocation[i]!;
  const keyLength = page.keyLength[i]!;
  const keySegment = keySegments[keyLocation >>> OFFSET_BITS];
  const keyAt = keyLocation & OFFSET_MASK;
  const valueLocation = page.valueLocation[i]!;
  const valueLength = page.valueLength[i]!;
  const valueSegment = valueSegments[valueLocation >>> OFFSET_BITS];
  const valueAt = valueLocation & OFFSET_MASK;
  if (
    keySegment === null || keySegment === undefined || keyAt + keyLength > keySegment.length ||
    valueSegment === null || valueSegment === undefined || valueAt + valueLength > valueSegment.length
  ) {
    return false;
  }
  const keyTo = batch.beginKey(keyLength);
  copyBytes(keySegment, keyAt, keyLength, batch.bytes, keyTo);
  const valueTo = batch.beginPayload(RAW_STRING_TYPE, valueLength);
  copyBytes(valueSegment, valueAt, valueLength, batch.bytes, valueTo);
  batch.endKey(page.expireAt[i]!);
  return true;
}

function copyBytes(from: Uint8Array, at: number, length: number, to: Uint8Array, toAt: number): void {
  if (length < 64) {
    for (let j = 0; j < length; j++) to[toAt + j] = from[at + j]!;
  } else {
    to.set(from.subarray(at, at + length), toAt);
  }
}
