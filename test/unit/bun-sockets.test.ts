// Facts about Bun's sockets that the server relies on; re-checked on every Bun upgrade.

import { expect, test } from "bun:test";
import { freePort } from "../helpers/server.ts";
import { waitFor } from "../helpers/wait.ts";

test("each data chunk has its own memory, never rewritten after the callback (the parser keeps chunks without copying)", async () => {
  const kept: Uint8Array[] = [];
  let received = 0;
  const port = freePort();
  const server = Bun.listen({ hostname: "127.0.0.1", port, socket: { data(_socket, data) { kept.push(data); received += data.length; } } });
  const client = await Bun.connect({ hostname: "127.0.0.1", port, socket: { data() {} } });
  for (let i = 0; i < 100; i++) {
    client.write(Buffer.alloc(1000, 65 + (i % 26)));
    // Each write arrives before the next is sent: at least 100 separate chunks.
    await waitFor(() => received === (i + 1) * 1000, { intervalMs: 1, what: `write ${i} to arrive` });
  }
  let rewritten = 0;
  for (const chunk of kept) if (chunk.some((b) => b !== chunk[0])) rewritten++;
  const backings = new Set(kept.map((c) => c.buffer));
  client.end();
  server.stop(true);
  expect(kept.length).toBeGreaterThan(10);
  expect(rewritten).toBe(0);
  expect(backings.size).toBe(kept.length);
});
