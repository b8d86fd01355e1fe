#!/usr/bin/env bun
// The container's HEALTHCHECK: PING the server on localhost and report.
//   exit 0  "PONG"                          healthy
//   exit 1  "unhealthy: <reason>"           down, auth refused, or writes stopped (MISCONF)
// The password comes from BUNKER_PASSWORD / REDIS_PASSWORD, or from the `requirepass`
// line of the config file the server was started with (BUNKER_CONFIG, or the one the
// server process was started with: see serverConfigFile). The port from
// BUNKER_PORT, the config file, or 6379.
// Under MISCONF the reason includes rdb_last_bgsave_error from INFO persistence.

import { readdirSync, readFileSync } from "node:fs";
import { splitConfigLine } from "./protocol/inline.ts";

/**
 * The config file the server process was started with. Its command line no longer says
 * (the server writes its process title over it, as Redis does), so docker/bunker-server
 * leaves the path in the server's environment as BUNKER_CONFIG_FILE. The server is PID 1
 * unless the container runs an init (`docker run --init`): then it is found by that
 * variable. The command line is still read for a server started with set-proc-title no.
 */
function serverConfigFile(): string | undefined {
  const fromEnvironment = (pid: string): string | undefined => {
    try {
      const entry = readFileSync(`/proc/${pid}/environ`, "utf8").split("\0").find((e) => e.startsWith("BUNKER_CONFIG_FILE="));
      return entry?.slice("BUNKER_CONFIG_FILE=".length);
    } catch {
      return undefined; // gone, or not ours to read
    }
  };
  let path = fromEnvironment("1");
  if (path !== undefined) return path;
  try {
    path = readFileSync("/proc/1/cmdline", "utf8").split("\0").find((a) => a.endsWith(".conf"));
    if (path !== undefined) return path;
    for (const pid of readdirSync("/proc")) {
      if (/^\d+$/.test(pid) && pid !== String(process.pid) && (path = fromEnvironment(pid)) !== undefined) return path;
    }
  } catch {
    // Not in a container, or /proc unavailable.
  }
  return undefined;
}

function configFileSettings(): { port?: string; password?: string } {
  const path = process.env.BUNKER_CONFIG || serverConfigFile();
  if (path === undefined) return {};
  const settings: { port?: string; password?: string } = {};
  try {
    for (const line of readFileSync(path, "utf8").split("\n")) {
      const args = splitConfigLine(line.trim());
      if (args === null || args.length < 2) continue;
      const name = args[0]!.toLowerCase();
      if (name === "port") settings.port = args[1];
      else if (name === "requirepass") settings.password = args[1];
    }
  } catch {
    // Unreadable config: fall back to the environment and defaults.
  }
  return settings;
}

function encode(...args: string[]): string {
  return `*${args.length}\r\n` + args.map((a) => `$${Buffer.byteLength(a)}\r\n${a}\r\n`).join("");
}

/** Sends commands on one connection and returns the raw replies text. */
async function exchange(port: number, payload: string, replies: number): Promise<string> {
  return new Promise((resolve, reject) => {
    let received = "";
    const timer = setTimeout(() => reject(new Error("timed out")), 2500);
    Bun.connect({
      hostname: "127.0.0.1",
      port,
      socket: {
        open(socket) {
          socket.write(payload);
        },
        data(socket, data) {
          received += Buffer.from(data).toString("latin1");
          if (countReplies(received) >= replies) {
            clearTimeout(timer);
            socket.end();
            resolve(received);
          }
        },
        close() {
          clearTimeout(timer);
          resolve(received);
        },
        connectError(_socket, error) {
          clearTimeout(timer);
          reject(error);
        },
      },
    }).catch(reject);
  });
}

/** Replies here are simple lines or one bulk string (INFO). */
function countReplies(text: string): number {
  let count = 0;
  let i = 0;
  while (i < text.length) {
    const end = text.indexOf("\r\n", i);
    if (end < 0) break;
    if (text[i] === "$") {
      const length = Number(text.slice(i + 1, end));
      if (length < 0) i = end + 2;
      else {
        if (text.length < end + 2 + length + 2) break;
        i = end + 2 + length + 2;
      }
    } else i = end + 2;
    count++;
  }
  return count;
}

export async function healthcheck(): Promise<{ healthy: boolean; message: string }> {
  const fromFile = configFileSettings();
  const env = (name: string) => (process.env[name] === "" ? undefined : process.env[name]);
  const port = Number(env("BUNKER_PORT") ?? fromFile.port ?? "6379");
  const password = env("BUNKER_PASSWORD") ?? env("REDIS_PASSWORD") ?? fromFile.password;
  let payload = "";
  let expected = 1;
  if (password !== undefined && password !== "") {
    payload += encode("AUTH", password);
    expected++;
  }
  payload += encode("PING");
  let text: string;
  try {
    text = await exchange(port, payload, expected);
  } catch (error) {
    return { healthy: false, message: `unhealthy: cannot reach the server on port ${port}: ${(error as Error).message}` };
  }
  const lines = text.split("\r\n").filter((l) => l !== "");
  const last = lines[lines.length - 1] ?? "";
  if (last === "+PONG") return { healthy: true, message: "PONG" };
  if (last.startsWith("-MISCONF")) {
    let cause = "";
    try {
      const info = await exchange(port, (password ? encode("AUTH", password) : "") + encode("INFO", "persistence"), password ? 2 : 1);
      cause = /rdb_last_bgsave_error:([^\r\n]*)/.exec(info)?.[1] ?? "";
    } catch {
      // The MISCONF text is reason enough.
    }
    return { healthy: false, message: `unhealthy: writes are stopped (MISCONF): the last background save failed${cause ? `: ${cause}` : ""}` };
  }
  if (last.startsWith("-NOAUTH") || last.startsWith("-WRONGPASS")) {
    return { healthy: false, message: `unhealthy: authentication required or refused (${last.slice(1)}); set BUNKER_PASSWORD` };
  }
  if (last.startsWith("-LOADING")) return { healthy: false, message: "unhealthy: loading the dataset" };
  return { healthy: false, message: `unhealthy: unexpected reply ${JSON.stringify(last)}` };
}

if (import.meta.main) {
  const result = await healthcheck();
  console.log(result.message);
  process.exit(result.healthy ? 0 : 1);
}
