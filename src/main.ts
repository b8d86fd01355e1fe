#!/usr/bin/env bun
// Entry point: `bun src/main.ts [/path/to/redis.conf] [--name value ...]`, like redis-server.
//
// The server's modules are imported only after the allocator settings are in place
// (allocator.ts may execute the process again): a static import would have Bun parse
// every module first, and a re-execution would pay that twice (~150 ms more to the first
// PONG, against 50-80 ms this way).

import { applyAllocatorSettings } from "./allocator.ts";

applyAllocatorSettings();
const { main } = await import("./startup.ts");
await main(process.argv.slice(2));
