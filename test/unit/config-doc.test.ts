// docs/configuration.md keeps up with the config table: every parameter has its row,
// with its alias, and is marked refused exactly when Bunker refuses its non-default
// values, quoting the reason the server gives.

import { expect, test } from "bun:test";
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { CONFIG_TABLE, type ConfigParam } from "../../src/config-table.ts";
import { unsupportedReason } from "../../src/config.ts";

const DOC = readFileSync(join(import.meta.dir, "../../docs/configuration.md"), "utf8");
const STATUSES = new Set(["works", "works (eviction)", "no effect", "refused"]);

interface Row {
  readonly name: string;
  readonly alias: string | undefined;
  readonly status: string;
  readonly text: string;
}

/** The rows of the tables under "## Parameters": | `name` [/ `alias`] | status | text | */
function parameterRows(): Row[] {
  const section = DOC.slice(DOC.indexOf("\n## Parameters\n"));
  const rows: Row[] = [];
  for (const line of section.split("\n")) {
    const row = /^\| `([^`]+)`(?: \/ `([^`]+)`)? \| ([^|]+?) \|(.*)\|$/.exec(line);
    if (row !== null) rows.push({ name: row[1]!, alias: row[2], status: row[3]!, text: row[4]!.trim() });
  }
  return rows;
}

/** activedefrag is refused with Redis's own text for builds without Jemalloc, not through `unsupported`. */
function refusedByBunker(param: ConfigParam): boolean {
  return param.unsupported !== undefined || (param.kind === "bool" && param.check === "activedefrag");
}

test("docs/configuration.md has one row per parameter of the config table, with its alias", () => {
  const rows = parameterRows();
  expect(DOC.indexOf("\n## Parameters\n")).toBeGreaterThan(0);
  expect(rows.map((row) => row.name).sort()).toEqual(CONFIG_TABLE.map((param) => param.name).sort());
  for (const row of rows) {
    const param = CONFIG_TABLE.find((candidate) => candidate.name === row.name)!;
    expect({ name: row.name, alias: row.alias }).toEqual({ name: row.name, alias: param.alias });
    expect({ name: row.name, status: STATUSES.has(row.status) }).toEqual({ name: row.name, status: true });
  }
});

test("a parameter is marked refused exactly when Bunker refuses its non-default values, with the server's reason", () => {
  for (const row of parameterRows()) {
    const param = CONFIG_TABLE.find((candidate) => candidate.name === row.name)!;
    expect({ name: row.name, refused: row.status === "refused" }).toEqual({ name: row.name, refused: refusedByBunker(param) });
    if (param.unsupported !== undefined) expect(row.text).toContain(unsupportedReason(param.unsupported.feature, param.name));
  }
});
