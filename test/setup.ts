// Loaded before every test file (bunfig.toml [test] preload): integration tests start
// servers and wait for background saves, so the 5 s default per test is too short.
import { setDefaultTimeout } from "bun:test";

setDefaultTimeout(60_000);
