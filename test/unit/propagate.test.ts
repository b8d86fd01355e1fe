// The effect stream's bookkeeping (propagate.ts): what reaches a feed, when effects are
// wrapped in MULTI/EXEC, and the SELECT a feed writes before an effect in another database.

import { describe, expect, test } from "bun:test";
import { Propagation, SelectTracker, type EffectFeed } from "../../src/propagate.ts";

const text = (argv: readonly Uint8Array[]) => argv.map((a) => Buffer.from(a).toString("latin1")).join(" ");
const bytes = (...words: string[]) => words.map((w) => new Uint8Array(Buffer.from(w, "latin1")));

function recording(): { feed: EffectFeed; lines: string[] } {
  const lines: string[] = [];
  return { lines, feed: { feed: (db, argv) => lines.push(`${db}: ${text(argv)}`) } };
}

describe("Propagation", () => {
  test("records nothing without a feed (shouldPropagate)", () => {
    const propagation = new Propagation();
    expect(propagation.active).toBe(false);
    propagation.alsoPropagate(0, bytes("SET", "k", "v"));
    const { feed, lines } = recording();
    propagation.addFeed(feed);
    propagation.propagatePendingCommands();
    expect(lines).toEqual([]);
  });

  test("one effect goes as it is; several are wrapped, MULTI in the first one's db and EXEC in the last one's", () => {
    const propagation = new Propagation();
    const { feed, lines } = recording();
    propagation.addFeed(feed);
    propagation.alsoPropagate(2, bytes("SET", "a", "1"));
    propagation.propagatePendingCommands();
    expect(lines).toEqual(["2: SET a 1"]);
    lines.length = 0;
    propagation.alsoPropagate(2, bytes("DEL", "x"));
    propagation.alsoPropagate(5, bytes("SET", "y", "2"));
    propagation.propagatePendingCommands();
    expect(lines).toEqual(["2: MULTI", "2: DEL x", "5: SET y 2", "5: EXEC"]);
    // Handed on once: nothing is left for the next unit.
    lines.length = 0;
    propagation.propagatePendingCommands();
    expect(lines).toEqual([]);
  });

  test("noMulti (the active expire cycle) and unwrapped units (SCAN) are not wrapped", () => {
    const propagation = new Propagation();
    const { feed, lines } = recording();
    propagation.addFeed(feed);
    propagation.noMulti = true;
    propagation.alsoPropagate(0, bytes("DEL", "a"));
    propagation.alsoPropagate(0, bytes("DEL", "b"));
    propagation.propagatePendingCommands();
    propagation.noMulti = false;
    propagation.alsoPropagate(0, bytes("DEL", "c"));
    propagation.alsoPropagate(0, bytes("DEL", "d"));
    propagation.propagatePendingCommands(true);
    expect(lines).toEqual(["0: DEL a", "0: DEL b", "0: DEL c", "0: DEL d"]);
  });

  test("every feed gets the same stream; a removed feed gets nothing more", () => {
    const propagation = new Propagation();
    const first = recording();
    const second = recording();
    propagation.addFeed(first.feed);
    propagation.addFeed(second.feed);
    propagation.alsoPropagate(0, bytes("INCR", "n"));
    propagation.propagatePendingCommands();
    propagation.removeFeed(first.feed);
    propagation.alsoPropagate(0, bytes("INCR", "n"));
    propagation.propagatePendingCommands();
    expect(first.lines).toEqual(["0: INCR n"]);
    expect(second.lines).toEqual(["0: INCR n", "0: INCR n"]);
    propagation.removeFeed(second.feed);
    expect(propagation.active).toBe(false);
  });
});

describe("SelectTracker", () => {
  test("selects before the first effect and whenever the database changes", () => {
    const tracker = new SelectTracker();
    const selects = [0, 0, 3, 3, 0, 12].map((db) => {
      const select = tracker.selectFor(db);
      return select === null ? null : text(select);
    });
    expect(selects).toEqual(["SELECT 0", null, "SELECT 3", null, "SELECT 0", "SELECT 12"]);
    tracker.reset();
    expect(text(tracker.selectFor(12)!)).toBe("SELECT 12");
  });
});
