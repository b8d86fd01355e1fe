// Error texts that Bunker sends without a request to compare against (a connection
// refused by protected mode, maxclients) must equal the ones compiled into redis-server.

import { expect, test } from "bun:test";
import { readFileSync } from "node:fs";
import * as errors from "../../src/errors.ts";
import { REDIS_SERVER as binary } from "../helpers/server.ts";

(binary ? test : test.skip)("protected-mode DENIED and maxclients texts equal redis-server's", () => {
  const text = readFileSync(binary!).toString("latin1");
  expect(text.includes(`-${errors.protectedModeDenied()}\r\n`)).toBe(true);
  expect(text.includes(`-${errors.MAX_CLIENTS}\r\n`)).toBe(true);
  expect(text.includes(`-${errors.MISCONF_RDB}\r\n`) || text.includes(errors.MISCONF_RDB)).toBe(true);
  // addReplyError adds the "-ERR " itself: the binary holds the text after it.
  expect(text.includes(errors.BGSAVE_OTHER_CHILD.slice("ERR ".length))).toBe(true);
});
