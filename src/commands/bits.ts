// Bit commands (Redis's bitops.c): SETBIT, GETBIT, BITCOUNT, BITPOS, BITOP,
// BITFIELD and BITFIELD_RO. The bit arithmetic lives in db/bitops.ts; this file
// parses arguments in Redis's order, looks keys up and accounts for changes.
//
// Writes follow Redis's lookupStringForBitCommand: the key is opened for writing
// (`db.lookupWriteSlot`: a running snapshot preserves it), the string is created or
// grown (zero padded), and from then on it is "raw" encoded (dbUnshareStringValue),
// even when no bit changes. Growing allocates a new array stored with setKey (TTL
// kept); bits inside the current length are flipped in place. As in Redis, a write
// that changes nothing neither signals the key nor counts in the dirty counter.

import type { CommandSpec } from "./table.ts";
import type { Client } from "../net/client.ts";
import { argIs, argLower, bytesToKey, parseInteger } from "../db/bytes.ts";
import { checkType, keyChanged, replyError, wrongType } from "./context.ts";
import * as errors from "../errors.ts";
import { NOTIFY_GENERIC, NOTIFY_STRING } from "../notify.ts";
import { RawString, markRaw } from "../db/string-encoding.ts";
import {
  bitcount,
  bitfieldIncrBy,
  bitfieldSetValue,
  bitop,
  bitpos,
  bytesNeededForBits,
  getBit,
  getBitfield,
  parseBitOffset,
  parseBitfieldType,
  setBit,
  setBits,
  type BitfieldOverflow,
  type BitfieldType,
  type BitOperation,
  type BitUnit,
  type RangeIndex,
} from "../db/bitops.ts";

const BIT_OFFSET_ERROR = "ERR bit offset is not an integer or out of range";
const BIT_VALUE_ERROR = "ERR bit is not an integer or out of range";
const BITFIELD_TYPE_ERROR = "ERR Invalid bitfield type. Use something like i16 u8. Note that u64 is not supported but i64 is.";
const BITFIELD_OVERFLOW_ERROR = "ERR Invalid OVERFLOW type specified";
const BITFIELD_RO_ERROR = "ERR BITFIELD_RO only supports the GET subcommand";
const BITOP_NOT_ERROR = "ERR BITOP NOT must be called with a single source key.";
const BITPOS_BIT_ERROR = "ERR The bit argument must be 1 or 0.";

/** getBitOffsetFromArgument: null after replying. */
function bitOffsetArg(client: Client, arg: Uint8Array, bits: number, hashForm: boolean): number | null {
  const offset = parseBitOffset(arg, bits, hashForm, client.server.config.getNumber("proto-max-bulk-len"));
  if (offset === null) replyError(client, BIT_OFFSET_ERROR);
  return offset;
}

/** A long long range argument (BITCOUNT/BITPOS start and end), or null after replying. */
function rangeArg(client: Client, arg: Uint8Array): RangeIndex | null {
  const value = parseInteger(arg);
  if (value === null) replyError(client, errors.NOT_INTEGER);
  return value;
}

/** The BYTE|BIT unit argument, or null after a syntax error. */
function unitArg(client: Client, arg: Uint8Array): BitUnit | null {
  if (argIs(arg, "bit")) return "bit";
  if (argIs(arg, "byte")) return "byte";
  replyError(client, errors.SYNTAX_ERROR);
  return null;
}

/** A string for a read command: undefined when missing, null after replying WRONGTYPE. */
function stringForRead(client: Client, key: string): Uint8Array | undefined | null {
  return checkType(client, client.db.lookupRead(key), Uint8Array);
}

/** Where a write command's bits live once the string is large enough. */
interface BitTarget {
  bytes: Uint8Array;
  /** The string was created or lengthened: that alone is a change. */
  grew: boolean;
}

/** sdsMakeRoomFor's greedy growth: double up to 1 MB, then 1 MB at a time. */
const SDS_MAX_PREALLOC = 1024 * 1024;

/**
 * A raw string made below, over an ArrayBuffer with spare room past its end. Only the
 * strings made here ever cover such a buffer and they are never written beyond their
 * length, so the spare bytes are still zero: a later growth can hand out a longer view
 * instead of copying. Without this, setting bits at increasing offsets would copy the
 * whole string every byte. (The class is the mark, as for RawString: a copy of the
 * string, COPY's or a snapshot's, is an ordinary one.)
 */
class PaddedRawString extends RawString {}

/** The string zero-padded to `neededBytes` (a new view: the argument is not modified). */
function zeroPadded(current: Uint8Array | undefined, neededBytes: number): PaddedRawString {
  if (current instanceof PaddedRawString && current.byteOffset + neededBytes <= current.buffer.byteLength) {
    return new PaddedRawString(current.buffer, current.byteOffset, neededBytes);
  }
  const capacity = neededBytes < SDS_MAX_PREALLOC ? neededBytes * 2 : neededBytes + SDS_MAX_PREALLOC;
  const grown = new PaddedRawString(new ArrayBuffer(capacity), 0, neededBytes);
  if (current !== undefined) grown.set(current);
  return grown;
}

/**
 * lookupStringForBitCommand: the string at `key`, created or zero-padded so that
 * `neededBytes` bytes exist. Null after replying WRONGTYPE.
 */
function stringForBitWrite(client: Client, key: string, neededBytes: number): BitTarget | null {
  const db = client.db;
  const slot = db.lookupWriteSlot(key);
  if (slot < 0) {
    const created = zeroPadded(undefined, neededBytes);
    db.add(key, created);
    return { bytes: created, grew: true };
  }
  const current = db.valueAt(slot);
  if (!(current instanceof Uint8Array)) {
    wrongType(client);
    return null;
  }
  if (current.length >= neededBytes) {
    // Bits are flipped in place: the string becomes a raw object of its own.
    return { bytes: db.unshareString(slot), grew: false };
  }
  const grown = zeroPadded(current, neededBytes);
  db.setKeyAt(key, slot, grown, true);
  return { bytes: grown, grew: true };
}

// ---- SETBIT / GETBIT --------------------------------------------------------------

function setbit(client: Client, argv: Uint8Array[]): void {
  const offset = bitOffsetArg(client, argv[2]!, 0, false);
  if (offset === null) return;
  const on = parseInteger(argv[3]!);
  if (on === null) {
    replyError(client, BIT_VALUE_ERROR);
    return;
  }
  if (on !== 0 && on !== 1) {
    replyError(client, BIT_VALUE_ERROR);
    return;
  }
  const key = bytesToKey(argv[1]!);
  const target = stringForBitWrite(client, key, bytesNeededForBits(offset, 1));
  if (target === null) return;
  const previous = getBit(target.bytes, offset);
  if (target.grew || previous !== on) {
    setBit(target.bytes, offset, on);
    keyChanged(client, NOTIFY_STRING, "setbit", key);
  }
  client.reply.integer(previous);
}

function getbit(client: Client, argv: Uint8Array[]): void {
  const offset = bitOffsetArg(client, argv[2]!, 0, false);
  if (offset === null) return;
  const value = stringForRead(client, bytesToKey(argv[1]!));
  if (value === null) return;
  client.reply.integer(value === undefined ? 0 : getBit(value, offset));
}

// ---- BITCOUNT / BITPOS --------------------------------------------------------------

/*
 * In Redis 7.0 BITCOUNT looks the key up before reading its range arguments, so a
 * missing key answers 0 and a wrong type answers WRONGTYPE whatever follows; BITPOS
 * does the same right after reading the bit argument.
 */
function bitcountCommand(client: Client, argv: Uint8Array[]): void {
  const value = stringForRead(client, bytesToKey(argv[1]!));
  if (value === null) return;
  if (value === undefined) {
    client.reply.integer(0);
    return;
  }
  let start: RangeIndex | undefined;
  let end: RangeIndex | undefined;
  let unit: BitUnit = "byte";
  if (argv.length === 4 || argv.length === 5) {
    const parsedStart = rangeArg(client, argv[2]!);
    if (parsedStart === null) return;
    const parsedEnd = rangeArg(client, argv[3]!);
    if (parsedEnd === null) return;
    if (argv.length === 5) {
      const parsedUnit = unitArg(client, argv[4]!);
      if (parsedUnit === null) return;
      unit = parsedUnit;
    }
    start = parsedStart;
    end = parsedEnd;
  } else if (argv.length !== 2) {
    replyError(client, errors.SYNTAX_ERROR);
    return;
  }
  client.reply.integer(bitcount(value, start, end, unit));
}

function bitposCommand(client: Client, argv: Uint8Array[]): void {
  const bit = parseInteger(argv[2]!);
  if (bit === null) {
    replyError(client, errors.NOT_INTEGER);
    return;
  }
  if (bit !== 0 && bit !== 1) {
    replyError(client, BITPOS_BIT_ERROR);
    return;
  }
  const value = stringForRead(client, bytesToKey(argv[1]!));
  if (value === null) return;
  if (value === undefined) {
    // A missing key is an endless run of zeros.
    client.reply.integer(bit === 1 ? -1 : 0);
    return;
  }
  let start: RangeIndex = 0;
  let end: RangeIndex | null = null;
  let unit: BitUnit = "byte";
  if (argv.length >= 4 && argv.length <= 6) {
    const parsedStart = rangeArg(client, argv[3]!);
    if (parsedStart === null) return;
    start = parsedStart;
    // Redis reads the unit before the end argument: their errors come in that order.
    if (argv.length === 6) {
      const parsedUnit = unitArg(client, argv[5]!);
      if (parsedUnit === null) return;
      unit = parsedUnit;
    }
    if (argv.length >= 5) {
      end = rangeArg(client, argv[4]!);
      if (end === null) return;
    }
  } else if (argv.length !== 3) {
    replyError(client, errors.SYNTAX_ERROR);
    return;
  }
  client.reply.integer(bitpos(value, bit, start, end, unit));
}

// ---- BITOP ---------------------------------------------------------------------------

const BITOP_OPERATIONS = new Set<string>(["and", "or", "xor", "not"]);

function bitopCommand(client: Client, argv: Uint8Array[]): void {
  const operationName = argLower(argv[1]!);
  if (!BITOP_OPERATIONS.has(operationName)) {
    replyError(client, errors.SYNTAX_ERROR);
    return;
  }
  const operation = operationName as BitOperation;
  if (operation === "not" && argv.length !== 4) {
    replyError(client, BITOP_NOT_ERROR);
    return;
  }
  const sources: Uint8Array[] = [];
  for (let i = 3; i < argv.length; i++) {
    const value = stringForRead(client, bytesToKey(argv[i]!));
    if (value === null) return;
    sources.push(value ?? new Uint8Array(0));
  }
  const result = bitop(operation, sources);
  const destination = bytesToKey(argv[2]!);
  const db = client.db;
  if (result.length > 0) {
    db.setKey(destination, markRaw(result));
    keyChanged(client, NOTIFY_STRING, "set", destination);
  } else if (db.dbDelete(destination)) {
    keyChanged(client, NOTIFY_GENERIC, "del", destination);
  }
  client.reply.integer(result.length);
}

// ---- BITFIELD ------------------------------------------------------------------------

type BitfieldOperation =
  | { kind: "get"; type: BitfieldType; offset: number }
  | { kind: "set" | "incrby"; type: BitfieldType; offset: number; value: bigint; overflow: BitfieldOverflow };

/** Parses the whole BITFIELD program first, as Redis does: any error means nothing runs. */
function parseBitfieldProgram(client: Client, argv: Uint8Array[]): BitfieldOperation[] | null {
  const operations: BitfieldOperation[] = [];
  let overflow: BitfieldOverflow = "wrap";
  for (let i = 2; i < argv.length; i++) {
    const remaining = argv.length - i - 1;
    const name = argLower(argv[i]!);
    if (name === "overflow" && remaining >= 1) {
      const policy = argLower(argv[++i]!);
      if (policy !== "wrap" && policy !== "sat" && policy !== "fail") {
        replyError(client, BITFIELD_OVERFLOW_ERROR);
        return null;
      }
      overflow = policy;
      continue;
    }
    const isGet = name === "get" && remaining >= 2;
    const isWrite = (name === "set" || name === "incrby") && remaining >= 3;
    if (!isGet && !isWrite) {
      replyError(client, errors.SYNTAX_ERROR);
      return null;
    }
    const type = parseBitfieldType(argv[i + 1]!);
    if (type === null) {
      replyError(client, BITFIELD_TYPE_ERROR);
      return null;
    }
    const offset = bitOffsetArg(client, argv[i + 2]!, type.bits, true);
    if (offset === null) return null;
    if (isGet) {
      operations.push({ kind: "get", type, offset });
      i += 2;
      continue;
    }
    const value = parseInteger(argv[i + 3]!);
    if (value === null) {
      replyError(client, errors.NOT_INTEGER);
      return null;
    }
    operations.push({ kind: name as "set" | "incrby", type, offset, value: BigInt(value), overflow });
    i += 3;
  }
  return operations;
}

/** Replies a field value: a number when it is exact in a double. */
function replyBitfieldValue(client: Client, value: bigint): void {
  const small = value >= -9007199254740991n && value <= 9007199254740991n;
  client.reply.integer(small ? Number(value) : value);
}

function bitfieldGeneric(client: Client, argv: Uint8Array[], readOnlyCommand: boolean): void {
  const operations = parseBitfieldProgram(client, argv);
  if (operations === null) return;
  const key = bytesToKey(argv[1]!);
  let writes = 0;
  let highestBytes = 0;
  for (const operation of operations) {
    if (operation.kind === "get") continue;
    writes++;
    highestBytes = Math.max(highestBytes, bytesNeededForBits(operation.offset, operation.type.bits));
  }

  let target: BitTarget;
  if (writes === 0) {
    const value = stringForRead(client, key);
    if (value === null) return;
    target = { bytes: value ?? new Uint8Array(0), grew: false };
  } else {
    if (readOnlyCommand) {
      replyError(client, BITFIELD_RO_ERROR);
      return;
    }
    const writable = stringForBitWrite(client, key, highestBytes);
    if (writable === null) return;
    target = writable;
  }

  client.reply.arrayHeader(operations.length);
  let changes = 0;
  for (const operation of operations) {
    const current = getBitfield(target.bytes, operation.offset, operation.type);
    if (operation.kind === "get") {
      replyBitfieldValue(client, current);
      continue;
    }
    const stored =
      operation.kind === "incrby"
        ? bitfieldIncrBy(operation.type, current, operation.value, operation.overflow)
        : bitfieldSetValue(operation.type, operation.value, operation.overflow);
    if (stored === null) {
      // OVERFLOW FAIL: nothing is written for this operation.
      client.reply.nullBulk();
      continue;
    }
    replyBitfieldValue(client, operation.kind === "incrby" ? stored : current);
    if (target.grew || stored !== current) {
      setBits(target.bytes, operation.offset, operation.type.bits, stored);
      changes++;
    }
  }
  if (changes > 0) keyChanged(client, NOTIFY_STRING, "setbit", key, changes);
}

function bitfield(client: Client, argv: Uint8Array[]): void {
  bitfieldGeneric(client, argv, false);
}

function bitfieldRo(client: Client, argv: Uint8Array[]): void {
  bitfieldGeneric(client, argv, true);
}

// ---- declarations ----------------------------------------------------------------------

const B = { categories: ["bitmap"], group: "bitmap" };
const single = { firstKey: 1, lastKey: 1, keyStep: 1 };

export const bitCommands: CommandSpec[] = [
  { name: "setbit", arity: 4, flags: ["write", "denyoom"], ...single, ...B, since: "2.2.0", summary: "Sets or clears the bit at offset in the string value stored at key", complexity: "O(1)", handler: setbit },
  { name: "getbit", arity: 3, flags: ["readonly", "fast"], ...single, ...B, since: "2.2.0", summary: "Returns the bit value at offset in the string value stored at key", complexity: "O(1)", handler: getbit },
  { name: "bitcount", arity: -2, flags: ["readonly"], ...single, ...B, since: "2.6.0", summary: "Count set bits in a string", complexity: "O(N)", handler: bitcountCommand },
  { name: "bitpos", arity: -3, flags: ["readonly"], ...single, ...B, since: "2.8.7", summary: "Find first bit set or clear in a string", complexity: "O(N)", handler: bitposCommand },
  { name: "bitop", arity: -4, flags: ["write", "denyoom"], firstKey: 2, lastKey: -1, keyStep: 1, ...B, since: "2.6.0", summary: "Perform bitwise operations between strings", complexity: "O(N)", handler: bitopCommand },
  { name: "bitfield", arity: -2, flags: ["write", "denyoom"], ...single, ...B, since: "3.2.0", summary: "Perform arbitrary bitfield integer operations on strings", complexity: "O(1) for each subcommand specified", handler: bitfield },
  { name: "bitfield_ro", arity: -2, flags: ["readonly", "fast"], ...single, ...B, since: "6.0.0", summary: "Perform arbitrary bitfield integer operations on strings. Read-only variant of BITFIELD", complexity: "O(1) for each subcommand specified", handler: bitfieldRo },
];
