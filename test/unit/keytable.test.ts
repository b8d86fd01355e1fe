import { describe, expect, test } from "bun:test";
import { seededRandom } from "../persistence/rdb-primitives-helpers.ts";
import { INLINE_MAX, KeyTable, SLOT_ARENA_RECORD, SLOT_FREE, SLOT_OBJECT, hashBytes, hashKey } from "../../src/db/keytable.ts";
import { RawString, isPlainString, markRaw, markUnencoded } from "../../src/db/string-encoding.ts";
import { RedisList } from "../../src/db/list.ts";
import { Database } from "../../src/db/keyspace.ts";
import { keyToBytes } from "../../src/db/bytes.ts";

const value = (text: string) => keyToBytes(text);

describe("KeyTable", () => {
  test("string and byte hashes agree, binary keys included", () => {
    for (const key of ["", "a", "key:000000000001", "\u0000\u00ff\u0080x", "é".repeat(40)]) {
      const bytes = keyToBytes(key);
      expect(hashKey(key)).toBe(hashBytes(bytes, 0, bytes.length));
    }
  });

  test("insert, insertBytes, find, remove and keyAt against a Map, through growth, compaction and slot reuse", () => {
    const random = seededRandom(7);
    const table = new KeyTable();
    const model = new Map<string, { slot: number; value: Uint8Array; expireAt: number }>();
    for (let step = 0; step < 60000; step++) {
      const n = Math.floor(random() * 5000);
      // Keys of many lengths, including empty and binary ones.
      const key = n % 97 === 0 ? "" : `k${n}` + "\u00ff\u0000".repeat(n % 5) + "x".repeat(n % 37);
      const existing = model.get(key);
      if (existing !== undefined && random() < 0.45) {
        table.remove(existing.slot);
        model.delete(key);
      } else if (existing === undefined) {
        const expireAt = random() < 0.3 ? 1e12 + step : -1;
        const v = value(`v${step}`);
        const slot = step % 2 ? table.insert(key, v, expireAt, 100) : table.insertBytes(keyToBytes(key), v, expireAt, 100);
        model.set(key, { slot, value: v, expireAt });
      }
      if (step % 997 === 0) {
        expect(table.size).toBe(model.size);
        for (const [k, entry] of model) {
          const slot = table.find(k);
          expect(slot).toBe(entry.slot);
          expect(table.findBytes(keyToBytes(k))).toBe(slot);
          expect(table.keyAt(slot)).toBe(k);
          expect(table.valueAt(slot)).toEqual(entry.value);
          expect(table.expireAtOf(slot)).toBe(entry.expireAt);
        }
        const volatile = [...model.values()].filter((e) => e.expireAt !== -1).map((e) => e.slot).sort((a, b) => a - b);
        expect([...table.volatileSlots.subarray(0, table.volatileCount)].sort((a, b) => a - b)).toEqual(volatile);
        expect(table.find("never-inserted")).toBe(-1);
      }
    }
  });

  test("lookups, removals and re-insertions in the middle of incremental rehashes", () => {
    const random = seededRandom(3);
    const table = new KeyTable();
    const live = new Map<string, number>();
    for (let i = 0; i < 150000; i++) {
      const key = `r${i}`;
      live.set(key, table.insert(key, value("v"), -1, 0));
      // Delete an older key now and then, and bring back a deleted one: both hit
      // whichever index (old or new) the key sits in at that moment.
      if (i % 3 === 0) {
        const victim = `r${Math.floor(random() * i)}`;
        const slot = live.get(victim);
        if (slot !== undefined) {
          table.remove(slot);
          live.delete(victim);
          expect(table.find(victim)).toBe(-1);
          if (i % 2 === 0) live.set(victim, table.insert(victim, value("again"), -1, 0));
        }
      }
      if ((i & (i - 1)) === 0 || i % 9973 === 0) {
        for (const [k, slot] of live) expect(table.find(k)).toBe(slot);
      }
    }
    for (const [k, slot] of live) expect(table.findBytes(keyToBytes(k))).toBe(slot);
    expect(table.size).toBe(live.size);
  });

  test("keys too long for an arena segment", () => {
    const table = new KeyTable();
    const huge = "h".repeat(200 * 1024) + "\u00ff";
    const other = "h".repeat(200 * 1024) + "\u00fe";
    const slot = table.insert(huge, value("big"), -1, 0);
    const slotBytes = table.insertBytes(keyToBytes(other), value("big2"), -1, 0);
    expect(table.find(huge)).toBe(slot);
    expect(table.find(other)).toBe(slotBytes);
    expect(table.keyAt(slot)).toBe(huge);
    expect(table.keyBytesAt(slotBytes)).toEqual(keyToBytes(other));
    table.remove(slot);
    expect(table.find(huge)).toBe(-1);
    expect(table.find(other)).toBe(slotBytes);
  });

  test("slots are stable: a key keeps its slot while others come and go", () => {
    const table = new KeyTable();
    const slot = table.insert("stay", value("v"), -1, 0);
    for (let i = 0; i < 200000; i++) table.insert(`tmp${i}`, value("x"), -1, 0);
    for (let i = 0; i < 200000; i++) table.remove(table.find(`tmp${i}`));
    expect(table.find("stay")).toBe(slot);
    expect(table.keyAt(slot)).toBe("stay");
    expect(table.size).toBe(1);
  });

  test("a key view stays correct after its key is deleted and the arena compacted", () => {
    const table = new KeyTable();
    const slots: number[] = [];
    for (let i = 0; i < 20000; i++) slots.push(table.insert(`key-${i}-padding-padding`, value("v"), -1, 0));
    const view = table.keyBytesAt(slots[0]!);
    for (let i = 0; i < 19000; i++) table.remove(slots[i]!);
    for (let i = 0; i < 5000; i++) table.insert(`new-${i}-xxxxxxxxxxxxxxxx`, value("v"), -1, 0);
    expect(Buffer.from(view).toString("latin1")).toBe("key-0-padding-padding");
    expect(table.keyAt(table.find("key-19999-padding-padding"))).toBe("key-19999-padding-padding");
  });

  test("plain short strings live in the value arena; views keep their bytes through overwrites and compaction", () => {
    const table = new KeyTable();
    const slots = Array.from({ length: 3000 }, (_, i) => table.insert(`k${i}`, value(`value-${i}`.padEnd(40, "z")), -1, 0));
    expect(slots.every((slot) => table.isInline(slot))).toBe(true);
    const oldView = table.valueAt(slots[7]!) as Uint8Array;
    // Enough overwrites to compact the arena several times.
    for (let round = 0; round < 20; round++) {
      for (let i = 0; i < slots.length; i++) table.setValue(slots[i]!, value(`r${round}-${i}`.padEnd(48, "y")));
    }
    expect(Buffer.from(oldView).toString("latin1")).toBe("value-7".padEnd(40, "z"));
    for (let i = 0; i < slots.length; i++) expect(table.valueAt(slots[i]!)).toEqual(value(`r19-${i}`.padEnd(48, "y")));
  });

  test("raw-marked, INCRBYFLOAT and long strings and collections stay objects", () => {
    const table = new KeyTable();
    const raw = markRaw(value("ab"));
    const unencoded = markUnencoded(value("1.5"));
    const long = new Uint8Array(INLINE_MAX + 1);
    const list = new RedisList();
    for (const [key, v] of [["raw", raw], ["unencoded", unencoded], ["long", long], ["list", list]] as const) {
      const slot = table.insert(key, v, -1, 0);
      expect(table.isInline(slot)).toBe(false);
      expect(table.valueAt(slot)).toBe(v);
    }
    expect(table.isInline(table.insert("short", value("ab"), -1, 0))).toBe(true);
    // A Buffer is a Uint8Array subclass but carries no mark; a range of a marked string is plain.
    expect(isPlainString(Buffer.from("ab"))).toBe(true);
    expect(table.isInline(table.insert("buffer", Buffer.from("ab"), -1, 0))).toBe(true);
    expect(table.isInline(table.insert("range", raw.subarray(0, 1), -1, 0))).toBe(true);
  });

  test("integers are parsed and written where they lie in the value arena", () => {
    const table = new KeyTable();
    const slot = table.insert("n", value("9"), -1, 0);
    const other = table.insert("other", value("x"), -1, 0);
    expect(table.inlineIntegerAt(slot)).toBe(9);
    table.epoch.boundary();
    table.setIntegerValue(slot, 10); // one digit more: new bytes
    expect(table.valueAt(slot)).toEqual(value("10"));
    table.epoch.boundary();
    table.setIntegerValue(slot, -99); // three bytes: a fresh place
    table.setIntegerValue(slot, 123); // same length: over the old bytes
    expect(table.valueAt(slot)).toEqual(value("123"));
    // A view handed out during the command keeps its bytes: no overwrite in place.
    table.epoch.boundary();
    const view = table.valueAt(slot) as Uint8Array;
    table.setIntegerValue(slot, 124);
    expect(view).toEqual(value("123"));
    expect(table.valueAt(slot)).toEqual(value("124"));
    for (const n of [0, -1, 2 ** 31, -(2 ** 31) - 1, 9007199254739999, -9007199254739999]) {
      table.epoch.boundary();
      table.setIntegerValue(slot, n);
      expect(table.valueAt(slot)).toEqual(value(String(n)));
      expect(table.inlineIntegerAt(slot)).toBe(n);
      expect(table.isInline(slot)).toBe(true);
    }
    expect(table.valueAt(other)).toEqual(value("x"));
    // Not integers, beyond 2^53, or not an arena string.
    for (const text of ["x", "01", "-0", " 1", "1.5", ""]) {
      table.setValue(slot, value(text));
      expect(table.inlineIntegerAt(slot)).toBeNull();
    }
    table.setValue(slot, value("9223372036854775807"));
    expect(table.inlineIntegerAt(slot)).toBe(9223372036854775807n);
    const raw = markRaw(value("12"));
    table.setValue(slot, raw);
    expect(table.inlineIntegerAt(slot)).toBeNull();
    // An object value becomes an arena string again.
    table.setIntegerValue(slot, 7);
    expect(table.isInline(slot)).toBe(true);
    expect(table.valueAt(slot)).toEqual(value("7"));
  });

  test("emptying the table resets it", () => {
    const table = new KeyTable();
    const slots = Array.from({ length: 5000 }, (_, i) => table.insert(`k${i}`, value("v"), i % 2 ? 5e12 : -1, 0));
    for (const slot of slots) table.remove(slot);
    expect(table.size).toBe(0);
    expect(table.slotCount).toBe(0);
    expect(table.volatileCount).toBe(0);
    expect(table.insert("again", value("v"), -1, 0)).toBe(0);
    expect(table.find("again")).toBe(0);
  });
});

describe("KeyTable held for a snapshot", () => {
  test("new keys get slots past the epoch's, the emptied table is not reset, and the kinds say what the worker may read", () => {
    const table = new KeyTable();
    const bytes = (text: string) => new TextEncoder().encode(text);
    for (let i = 0; i < 100; i++) table.insert(`k${i}`, bytes(`v${i}`), -1, 0);
    table.insert("long", new Uint8Array(INLINE_MAX + 1), -1, 0);
    table.insert("list", new RedisList(), -1, 0);
    expect(table.kindOf(table.find("k1"))).toBe(SLOT_ARENA_RECORD);
    expect(table.kindOf(table.find("long"))).toBe(SLOT_OBJECT);
    expect(table.kindOf(table.find("list"))).toBe(SLOT_OBJECT);

    const view = table.holdForSnapshot();
    expect(view.slotCount).toBe(102);
    const freed = table.find("k5");
    table.remove(freed);
    expect(table.kindOf(freed)).toBe(SLOT_FREE);
    // Without the hold the freed slot would be reused at once.
    expect(table.insert("new", bytes("n"), -1, 0)).toBeGreaterThanOrEqual(view.slotCount);
    for (let slot = 0; slot < table.slotCount; slot++) if (table.isLive(slot)) table.remove(slot);
    expect(table.size).toBe(0);
    expect(table.slotCount).toBe(103);
    table.releaseSnapshotHold();
    expect(table.slotCount).toBe(0);
    expect(table.insert("again", bytes("a"), -1, 0)).toBe(0);
  });
});

describe("Database on a KeyTable", () => {
  test("lazy expiry, observers, SCAN covering every stable key", () => {
    const db = new Database(0);
    let now = 1_000_000;
    db.now = () => now;
    const seen: [string, number][] = [];
    db.observers.push({ beforeChange: (_db, key, slot) => seen.push([key, slot]), beforeClear: () => {} });
    db.add("a", value("1"));
    db.add("b", value("2"), now + 10);
    expect(db.lookupRead("b")).toEqual(value("2"));
    now += 10;
    expect(db.lookupRead("b")).toBeUndefined();
    expect(db.stats).toEqual({ hits: 1, misses: 1, expiredKeys: 1 });
    expect(seen.map(([key]) => key)).toEqual(["a", "b", "b"]);
    expect(seen[0]![1]).toBe(-1);

    for (let i = 0; i < 1000; i++) db.add(`s${i}`, value("x"));
    const found = new Set<string>();
    let cursor = 0;
    let round = 0;
    do {
      cursor = db.scan(cursor, 10, (key) => found.add(key));
      // Churn during the scan must not hide keys present throughout.
      db.add(`churn${round}`, value("y"));
      db.remove(`churn${round - 1}`);
      round++;
    } while (cursor !== 0);
    for (let i = 0; i < 1000; i++) expect(found.has(`s${i}`)).toBe(true);
    expect(found.has("a")).toBe(true);
  });

  test("unshareString copies an arena string out as a raw object, keeping its bytes and the change hook quiet", () => {
    const db = new Database(0);
    const kinds: string[] = [];
    db.add("s", value("hello"));
    const long = new Uint8Array(INLINE_MAX + 1).fill(7);
    db.add("long", long);
    db.observers.push({ beforeChange: (_db, key) => kinds.push(key), beforeClear: () => {} });
    const slot = db.find("s");
    expect(db.table.isInline(slot)).toBe(true);
    const owned = db.unshareString(slot);
    expect(db.table.isInline(slot)).toBe(false);
    expect(db.valueAt(slot)).toBe(owned);
    expect(owned).toEqual(value("hello"));
    expect(owned).toBeInstanceOf(RawString);
    expect(db.unshareString(slot)).toBe(owned);
    // A string that is an object already is marked where it lies, and the table holds the mark.
    const longSlot = db.find("long");
    const unshared = db.unshareString(longSlot);
    expect(unshared).toBeInstanceOf(RawString);
    expect(unshared.buffer).toBe(long.buffer);
    expect(db.valueAt(longSlot)).toBe(unshared);
    expect(kinds).toEqual([]);
  });

  test("lookups by key bytes expire lazily and make a key string only for a busy observer", () => {
    const db = new Database(0);
    let now = 1_000_000;
    db.now = () => now;
    db.add("k", value("1"), now + 10);
    db.add("plain", value("2"));
    expect(db.lookupWriteSlotBytes(keyToBytes("plain"))).toBe(db.find("plain"));
    const seen: string[] = [];
    let idle = true;
    db.observers.push({ beforeChange: (_db, key, slot) => seen.push(`${key}:${slot >= 0}`), idle: () => idle, beforeClear: () => {} });
    expect(db.lookupWriteSlotBytes(keyToBytes("plain"))).toBeGreaterThanOrEqual(0);
    expect(seen).toEqual([]);
    idle = false;
    expect(db.lookupWriteSlotBytes(keyToBytes("plain"))).toBeGreaterThanOrEqual(0);
    expect(seen).toEqual(["plain:true"]);
    now += 10;
    expect(db.lookupWriteSlotBytes(keyToBytes("k"))).toBe(-1);
    expect(db.lookupReadSlot(keyToBytes("k"))).toBe(-1);
    expect(seen).toEqual(["plain:true", "k:true"]);
    expect(db.stats).toEqual({ hits: 0, misses: 1, expiredKeys: 1 });
  });

  test("active expiry removes expired keys and keeps the rest", () => {
    const db = new Database(0);
    let now = 5_000_000;
    db.now = () => now;
    for (let i = 0; i < 300; i++) db.add(`e${i}`, value("v"), now + (i % 3 === 0 ? 1 : 100000));
    now += 2;
    let expired = 0;
    for (let i = 0; i < 20; i++) expired += db.activeExpire(50)[1];
    expect(expired).toBe(100);
    expect(db.size).toBe(200);
    expect(db.expiresCount).toBe(200);
  });

  test("FLUSHDB gives a new table; SWAPDB exchanges tables", () => {
    const a = new Database(0);
    const b = new Database(1);
    a.add("x", value("1"));
    const old = a.table;
    b.add("y", value("2"));
    a.swapWith(b);
    expect(a.peek("y")).toEqual(value("2"));
    expect(b.table).toBe(old);
    expect(b.clear()).toBe(1);
    expect(b.table).not.toBe(old);
    expect(old.find("x")).toBeGreaterThanOrEqual(0);
  });
});
