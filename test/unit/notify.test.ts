// notify-keyspace-events letters as notify.c reads and prints them.

import { describe, expect, test } from "bun:test";
import {
  NOTIFY_ALL,
  NOTIFY_KEY_MISS,
  NOTIFY_KEYEVENT,
  NOTIFY_KEYSPACE,
  NOTIFY_NEW,
  keyspaceEventsFlagsToString,
  keyspaceEventsStringToFlags,
} from "../../src/notify.ts";

describe("keyspace event letters", () => {
  test("every class letter reads back as itself, in Redis's order", () => {
    for (const letter of "g$lshzxetdn") expect(keyspaceEventsFlagsToString(keyspaceEventsStringToFlags(letter)!)).toBe(letter);
    expect(keyspaceEventsFlagsToString(keyspaceEventsStringToFlags("mEKnzg")!)).toBe("gznKEm");
  });

  test("A is every class but m and n; An prints as A with n still set", () => {
    expect(keyspaceEventsStringToFlags("A")).toBe(NOTIFY_ALL);
    expect(keyspaceEventsStringToFlags("gl$shzxetd")).toBe(NOTIFY_ALL);
    const flags = keyspaceEventsStringToFlags("KEAnm")!;
    expect(flags).toBe(NOTIFY_ALL | NOTIFY_NEW | NOTIFY_KEYSPACE | NOTIFY_KEYEVENT | NOTIFY_KEY_MISS);
    expect(keyspaceEventsFlagsToString(flags)).toBe("AKEm");
  });

  test("an unknown letter refuses the whole value; empty is no classes", () => {
    expect(keyspaceEventsStringToFlags("KEy")).toBeNull();
    expect(keyspaceEventsStringToFlags("")).toBe(0);
    expect(keyspaceEventsFlagsToString(0)).toBe("");
  });
});
