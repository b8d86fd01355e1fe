// Every command family's declarations, registered into one table.

import type { CommandTable } from "./table.ts";
import { connectionCommands } from "./connection.ts";
import { stringCommands } from "./strings.ts";
import { keyCommands } from "./keys.ts";
import { transactionCommands } from "./transactions.ts";
import { serverCommands } from "./server.ts";
import { persistenceCommands } from "./persistence.ts";

export function registerAllCommands(table: CommandTable): void {
  table.register(connectionCommands);
  table.register(stringCommands);
  table.register(keyCommands);
  table.register(transactionCommands);
  table.register(serverCommands);
  table.register(persistenceCommands);
}
