// SLOWLOG: commands slower than slowlog-log-slower-than microseconds, newest first.

import type { Client } from "./net/client.ts";
import { copyBytes } from "./db/bytes.ts";

export interface SlowLogEntry {
  id: number;
  time: number; // unix seconds
  micros: number;
  argv: Uint8Array[];
  peer: string;
  clientName: Uint8Array | null;
}

/** Redis keeps at most 32 arguments and 128 bytes of each (SLOWLOG_ENTRY_MAX_ARGC / _STRING). */
const MAX_ARGS = 32;
const MAX_ARG_BYTES = 128;

export class SlowLog {
  entries: SlowLogEntry[] = [];
  nextId = 0;
  maxLength = 128;
  slowerThan = 10000;

  record(micros: number, argv: Uint8Array[], client: Client): void {
    if (this.slowerThan < 0 || micros < this.slowerThan) return;
    const kept: Uint8Array[] = [];
    const argc = Math.min(argv.length, MAX_ARGS);
    for (let i = 0; i < argc; i++) {
      if (i === MAX_ARGS - 1 && argv.length > MAX_ARGS) {
        kept.push(new TextEncoder().encode(`... (${argv.length - MAX_ARGS + 1} more arguments)`));
        break;
      }
      const arg = argv[i]!;
      if (arg.length > MAX_ARG_BYTES) {
        const more = new TextEncoder().encode(`... (${arg.length - MAX_ARG_BYTES} more bytes)`);
        const cut = new Uint8Array(MAX_ARG_BYTES + more.length);
        cut.set(arg.subarray(0, MAX_ARG_BYTES));
        cut.set(more, MAX_ARG_BYTES);
        kept.push(cut);
      } else kept.push(copyBytes(arg));
    }
    this.entries.unshift({
      id: this.nextId++,
      time: Math.floor(Date.now() / 1000),
      micros,
      argv: kept,
      peer: client.address,
      clientName: client.name,
    });
    while (this.entries.length > this.maxLength) this.entries.pop();
  }

  reset(): void {
    this.entries = [];
  }
}
