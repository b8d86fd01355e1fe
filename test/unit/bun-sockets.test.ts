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

test("a read's buffer is an ArrayBuffer of its own, which the callback may detach (server.ts onRead frees large reads)", async () => {
  const kept: Uint8Array[] = [];
  let received = 0;
  let detached = 0;
  const port = freePort();
  const server = Bun.listen({
    hostname: "127.0.0.1",
    port,
    socket: {
      data(_socket, data) {
        received += data.length;
        const buffer = data.buffer as ArrayBuffer;
        expect({ offset: data.byteOffset, bytes: buffer.byteLength }).toEqual({ offset: 0, bytes: data.length });
        // Every other read is kept as a copy and its buffer detached, the rest kept as they are.
        if (kept.length % 2 === 1) {
          kept.push(new Uint8Array(data));
          buffer.transfer(0);
          expect(buffer.detached).toBe(true);
          detached++;
        } else kept.push(data);
      },
    },
  });
  const client = await Bun.connect({ hostname: "127.0.0.1", port, socket: { data() {} } });
  const size = 20 * 1024;
  for (let i = 0; i < 50; i++) {
    client.write(Buffer.alloc(size, 65 + (i % 26)));
    await waitFor(() => received === (i + 1) * size, { intervalMs: 1, what: `write ${i} to arrive` });
  }
  client.end();
  server.stop(true);
  expect(detached).toBeGreaterThan(10);
  // The reads kept undetached were never rewritten, whatever happened to the others' memory.
  let rewritten = 0;
  for (const chunk of kept) if (chunk.some((b) => b !== chunk[0])) rewritten++;
  expect(rewritten).toBe(0);
});
