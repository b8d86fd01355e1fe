// INFO in tests: one section (or everything) as a map of field -> value, and a wait
// for a field to take a value, for Bunker and redis-server alike.

import type { RawClient } from "./server.ts";
import { waitFor } from "./wait.ts";

/** The fields of INFO text ("field:value" lines; section headers and blank lines skipped). */
export function parseInfo(text: string): Map<string, string> {
  const fields = new Map<string, string>();
  for (const line of text.split("\r\n")) {
    if (line === "" || line.startsWith("#")) continue;
    const colon = line.indexOf(":");
    if (colon > 0) fields.set(line.slice(0, colon), line.slice(colon + 1));
  }
  return fields;
}

/** INFO `section` (default "everything") as a map. */
export async function info(client: RawClient, section = "everything"): Promise<Map<string, string>> {
  const reply = await client.call("INFO", section);
  if (typeof reply !== "string") throw new Error(`INFO ${section} replied ${String(reply)}`);
  return parseInfo(reply);
}

/** One INFO field; throws when the server does not report it. */
export async function infoField(client: RawClient, field: string, section = "everything"): Promise<string> {
  const value = (await info(client, section)).get(field);
  if (value === undefined) throw new Error(`no INFO field ${field}`);
  return value;
}

/** Waits until INFO `field` is `value`. */
export async function waitInfo(client: RawClient, field: string, value: string, section = "everything"): Promise<void> {
  await waitFor(async () => (await info(client, section)).get(field) === value, { what: `INFO ${field}:${value}` });
}
