// The command table's byte lookup (dispatch from argv[0] without a string): it must
// give the same answer as the string lookup of the lower-cased name, in every case.

import { expect, test } from "bun:test";
import { CommandTable } from "../../src/commands/table.ts";
import { registerAllCommands } from "../../src/commands/index.ts";

const latin1 = (text: string) => Buffer.from(text, "latin1");

test("lookupBytes finds every command in any letter case", () => {
  const table = new CommandTable();
  registerAllCommands(table);
  for (const [name, command] of table.commands) {
    expect(table.lookupBytes(latin1(name))).toBe(command);
    expect(table.lookupBytes(latin1(name.toUpperCase()))).toBe(command);
    const mixed = [...name].map((c, i) => (i % 2 ? c.toUpperCase() : c)).join("");
    expect(table.lookupBytes(latin1(mixed))).toBe(command);
  }
  for (const unknown of ["", "gett", "ge", "se t", "get\0", "@et", "[et", "GET\r"]) {
    expect(table.lookupBytes(latin1(unknown))).toBeUndefined();
  }
});

test("lookupBytes follows rename-command, including non-ASCII names", () => {
  const table = new CommandTable();
  registerAllCommands(table);
  const get = table.lookupBytes(latin1("get"))!;
  const flushdb = table.lookupBytes(latin1("flushdb"))!;
  table.rename("get", "Fetch");
  table.rename("flushdb", "\u00c0flush");
  expect(table.lookupBytes(latin1("get"))).toBeUndefined();
  expect(table.lookupBytes(latin1("FETCH"))).toBe(get);
  expect(table.lookupBytes(latin1("flushdb"))).toBeUndefined();
  // Bytes beyond ASCII are lower-cased as String#toLowerCase does (0xC0 -> 0xE0).
  expect(table.lookupBytes(latin1("\u00c0FLUSH"))).toBe(flushdb);
  expect(table.lookupBytes(latin1("\u00e0flush"))).toBe(flushdb);
  table.rename("set", "");
  expect(table.lookupBytes(latin1("set"))).toBeUndefined();
});
