// Loaded before every test file (bunfig.toml [test] preload): integration tests start
// servers and wait for background saves, so the 5 s default per test is too short.
//
// Bun 1.4 keeps a preload's setDefaultTimeout() for the first test file of a run only
// (oven-sh/bun#43787): every later file is back on 5 s. So `npm test` (and `bun run
// test`) pass `--timeout 60000`, which holds for every file; this call still covers
// `bun test <one file>`.
import { setDefaultTimeout } from "bun:test";

setDefaultTimeout(60_000);
