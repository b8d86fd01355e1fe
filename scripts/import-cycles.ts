#!/usr/bin/env bun
// Lists the import cycles among the modules under a folder (src/ by default): the
// strongly connected components of the graph of relative value imports, each with the
// edges that close it. `import type` (and `import { type A }` with nothing else) is
// left out, since TypeScript erases it and it cannot make a module see another
// half-initialised at load. With --types those imports count too.
//
//   bun scripts/import-cycles.ts [folder] [--types]
//
// Exits 1 when there is a cycle, so it can run in CI.

import { readFileSync, readdirSync, statSync } from "node:fs";
import { dirname, join, relative, resolve } from "node:path";

const args = process.argv.slice(2);
const includeTypes = args.includes("--types");
const root = resolve(args.find((arg) => !arg.startsWith("--")) ?? "src");

function tsFiles(folder: string, into: string[] = []): string[] {
  for (const name of readdirSync(folder)) {
    const path = join(folder, name);
    if (statSync(path).isDirectory()) tsFiles(path, into);
    else if (path.endsWith(".ts")) into.push(path);
  }
  return into;
}

const IMPORT = /^\s*(?:import|export)\s+(type\s+)?([^;]*?)\s+from\s+["']([^"']+)["']/gms;

/** True for `{ type A, type B }`: only types are named. */
function namesOnlyTypes(clause: string): boolean {
  const trimmed = clause.trim();
  if (!trimmed.startsWith("{") || !trimmed.endsWith("}")) return false;
  const names = trimmed.slice(1, -1).split(",").map((name) => name.trim()).filter((name) => name !== "");
  return names.length > 0 && names.every((name) => name.startsWith("type "));
}

const files = tsFiles(root);
const imports = new Map<string, string[]>();
for (const file of files) {
  const targets: string[] = [];
  for (const [, typeOnly, clause, specifier] of readFileSync(file, "utf8").matchAll(IMPORT)) {
    if (!specifier!.startsWith(".")) continue;
    if (!includeTypes && (typeOnly !== undefined || namesOnlyTypes(clause!))) continue;
    targets.push(resolve(dirname(file), specifier!));
  }
  imports.set(file, targets);
}

// Tarjan's strongly connected components.
const order = new Map<string, number>();
const lowLink = new Map<string, number>();
const stack: string[] = [];
const onStack = new Set<string>();
const cycles: string[][] = [];
function visit(file: string): void {
  order.set(file, order.size);
  lowLink.set(file, order.get(file)!);
  stack.push(file);
  onStack.add(file);
  for (const target of imports.get(file) ?? []) {
    if (!imports.has(target)) continue;
    if (!order.has(target)) {
      visit(target);
      lowLink.set(file, Math.min(lowLink.get(file)!, lowLink.get(target)!));
    } else if (onStack.has(target)) {
      lowLink.set(file, Math.min(lowLink.get(file)!, order.get(target)!));
    }
  }
  if (lowLink.get(file) !== order.get(file)) return;
  const component: string[] = [];
  let member: string;
  do {
    member = stack.pop()!;
    onStack.delete(member);
    component.push(member);
  } while (member !== file);
  if (component.length > 1) cycles.push(component.sort());
}
for (const file of files) if (!order.has(file)) visit(file);

const name = (file: string) => relative(root, file);
for (const component of cycles) {
  const members = new Set(component);
  console.log(`cycle of ${component.length}: ${component.map(name).join(" ")}`);
  for (const file of component) {
    const inside = (imports.get(file) ?? []).filter((target) => members.has(target));
    console.log(`  ${name(file)} -> ${[...new Set(inside)].map(name).join(", ")}`);
  }
}
if (cycles.length === 0) console.log(`no import cycles among ${files.length} modules`);
process.exitCode = cycles.length === 0 ? 0 : 1;
