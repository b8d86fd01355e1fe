// Measures the constants of src/db/object-size.ts and src/memory.ts on this runtime:
// heapUsed per typed array and per object (growing many and dividing), and what
// constructing a Server adds. Run after a Bun upgrade and compare with the constants.
//
//   node_modules/.bin/bun scripts/memory-calibrate.ts

import { inProcessServer } from "../test/helpers/in-process.ts";
import { TYPED_ARRAY_OVERHEAD, objectBytes } from "../src/db/object-size.ts";
import { STARTUP_BYTES } from "../src/memory.ts";

const COUNT = 200_000;

function heapUsed(): number {
  Bun.gc(true);
  return process.memoryUsage().heapUsed;
}

/** heapUsed per object made by `make`, all kept alive while measured. */
function perObject(make: (i: number) => unknown): number {
  const kept: unknown[] = new Array(COUNT);
  const before = heapUsed();
  for (let i = 0; i < COUNT; i++) kept[i] = make(i);
  const after = heapUsed();
  if (kept.length !== COUNT) throw new Error("unreachable");
  return (after - before) / COUNT;
}

Bun.gc(true);
const before = process.memoryUsage();
const server = inProcessServer();
server.run("PING");
Bun.gc(true);
const after = process.memoryUsage();
console.log("a Server (memory.ts STARTUP_BYTES = %d):", STARTUP_BYTES);
console.log(`  heapUsed +${after.heapUsed - before.heapUsed}, external +${after.external - before.external}`);

console.log("typed arrays (object-size.ts TYPED_ARRAY_OVERHEAD = %d):", TYPED_ARRAY_OVERHEAD);
for (const length of [16, 100, 600]) {
  const bytes = perObject(() => new Uint8Array(length));
  console.log(`  Uint8Array(${length}): ${bytes.toFixed(1)} bytes, overhead ${(bytes - length).toFixed(1)}`);
}
console.log("objects (object-size.ts objectBytes(4) = %d):", objectBytes(4));
console.log(`  {a, b, c, d}: ${perObject((i) => ({ a: i, b: null, c: 1, d: 2 })).toFixed(1)} bytes`);

