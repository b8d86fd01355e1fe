// Every command family's declarations, registered into one table.

import type { CommandTable } from "./table.ts";
import { connectionCommands } from "./connection.ts";
import { stringCommands } from "./strings.ts";
import { keyCommands } from "./keys.ts";
import { transactionCommands } from "./transactions.ts";
import { serverCommands } from "./server.ts";
import { persistenceCommands } from "./persistence.ts";
import { listCommands } from "./lists.ts";
import { hashCommands } from "./hashes.ts";
import { setCommands } from "./sets.ts";
import { zsetCommands } from "./zsets.ts";
import { geoCommands } from "./geo.ts";
import { bitCommands } from "./bits.ts";
import { pubsubCommands } from "./pubsub.ts";
import { hyperloglogCommands } from "./hyperloglog.ts";
import { sortCommands } from "./sort.ts";
import { streamCommands } from "./streams.ts";
import { scriptingCommands } from "./scripting.ts";
import { memoryCommands } from "./memory.ts";
import { replicationCommands } from "./replication.ts";
import { lolwutCommands } from "./lolwut.ts";

export function registerAllCommands(table: CommandTable): void {
  table.register(connectionCommands);
  table.register(stringCommands);
  table.register(keyCommands);
  table.register(transactionCommands);
  table.register(serverCommands);
  table.register(persistenceCommands);
  table.register(listCommands);
  table.register(hashCommands);
  table.register(setCommands);
  table.register(zsetCommands);
  table.register(geoCommands);
  table.register(bitCommands);
  table.register(pubsubCommands);
  table.register(hyperloglogCommands);
  table.register(sortCommands);
  table.register(streamCommands);
  table.register(scriptingCommands);
  table.register(memoryCommands);
  table.register(replicationCommands);
  table.register(lolwutCommands);
}
