// Multi-client scenarios for blocking commands: several connections to one server run
// a script of steps (some of which block), and the transcript (each client's replies and
// the probes taken) is compared between Bunker and the real Redis.

import { RawClient, encodeCommand } from "./server.ts";
import { dirtyOf } from "./differential.ts";
import { waitFor } from "./wait.ts";

export type Step =
  /** Sends a command whose reply may come later (a blocking command); the reply is recorded when it arrives. */
  | { c: number; send: string[] }
  /** Sends a command and waits for its reply, which is recorded. */
  | { c: number; call: string[] }
  /** Sends a command and waits for its reply, which is not recorded (set-up noise). */
  | { c: number; quiet: string[] }
  /** Lets time pass (for something that must not happen meanwhile, such as a timeout firing). */
  | { sleep: number }
  /** Waits until INFO's blocked_clients is this: waiters' timeouts have fired, say. Not recorded. */
  | { untilBlockedClients: number }
  /** Records INFO's blocked_clients. */
  | { blockedClients: true }
  /** Records how much the dirty counter grew since the scenario began. */
  | { dirty: true }
  /** Closes a client's connection. */
  | { close: number };

export interface Transcript {
  /** Replies per client, in the order each client received them. */
  replies: string[][];
  /** Values recorded by blockedClients/dirty steps, in step order. */
  probes: string[];
}

export interface ScenarioOptions {
  clients: number;
  /** Applied to every recorded reply (e.g. to mask times). */
  mapReply?: (reply: string) => string;
}

/** INFO's blocked_clients of the server `client` is connected to. */
export async function blockedClientsOf(client: RawClient): Promise<number> {
  const info = String(await client.call("INFO", "clients"));
  return Number(/blocked_clients:(\d+)/.exec(info)![1]);
}

/** Waits until the server has `count` blocked clients (asking on `client`, which must not be one of them). */
export async function waitBlockedClients(client: RawClient, count: number): Promise<void> {
  await waitFor(async () => (await blockedClientsOf(client)) === count, { what: `blocked_clients:${count}` });
}

/**
 * Runs the steps on `port`. Arguments "$id<N>" become client N's CLIENT ID.
 *
 * A step waits for the server to have acted on it before the next one runs, so that the
 * transcript does not depend on the machine's speed: `send` until its command was
 * answered or its client is blocked (flag b in CLIENT LIST), `close` until the server
 * has dropped the client.
 * Those checks go through a connection of their own, not one of the scenario's clients.
 */
export async function runScenario(port: number, steps: Step[], options: ScenarioOptions): Promise<Transcript> {
  const map = options.mapReply ?? ((reply: string) => reply);
  const clients = await Promise.all(Array.from({ length: options.clients }, () => RawClient.connect(port)));
  const ids: string[] = [];
  for (const client of clients) ids.push(String(await client.call("CLIENT", "ID")));
  const control = await RawClient.connect(port);
  // Dirty probes are relative to the start: the two servers' histories differ.
  const dirtyBase = await dirtyOf(clients[0]!);
  const outstanding: Array<Promise<void> | null> = clients.map(() => null);
  const replies: string[][] = clients.map(() => []);
  const probes: string[] = [];
  const resolveArgs = (args: string[]) => args.map((arg) => arg.replace(/^\$id(\d)$/, (_, n: string) => ids[Number(n)]!));
  const settle = async (c: number) => {
    const pending = outstanding[c];
    outstanding[c] = null;
    if (pending) await pending;
  };
  try {
    for (const step of steps) {
      if ("send" in step) {
        await settle(step.c);
        let answered = false;
        outstanding[step.c] = clients[step.c]!.callRaw(...resolveArgs(step.send)).then(
          (reply) => void replies[step.c]!.push(map(reply)),
          () => void replies[step.c]!.push("<connection closed>"),
        );
        void outstanding[step.c]!.then(() => (answered = true));
        const blocked = async () => /flags=\S*b/.test(String(await control.call("CLIENT", "LIST", "ID", ids[step.c]!)));
        await waitFor(async () => answered || (await blocked()), { what: `${step.send.join(" ")} to be answered or to block` });
      } else if ("call" in step) {
        await settle(step.c);
        replies[step.c]!.push(map(await clients[step.c]!.callRaw(...resolveArgs(step.call))));
      } else if ("quiet" in step) {
        await settle(step.c);
        await clients[step.c]!.callRaw(...resolveArgs(step.quiet));
      } else if ("sleep" in step) {
        await Bun.sleep(step.sleep);
      } else if ("untilBlockedClients" in step) {
        await waitBlockedClients(control, step.untilBlockedClients);
      } else if ("blockedClients" in step) {
        probes.push(String(await blockedClientsOf(clients[0]!)));
      } else if ("dirty" in step) {
        probes.push(String((await dirtyOf(clients[0]!)) - dirtyBase));
      } else {
        clients[step.close]!.close();
        outstanding[step.close] = null;
        const gone = `id=${ids[step.close]} `;
        await waitFor(async () => !String(await control.call("CLIENT", "LIST")).includes(gone), { what: `client ${step.close} to be dropped` });
      }
    }
    for (let c = 0; c < clients.length; c++) await settle(c);
  } finally {
    for (const client of clients) client.close();
    control.close();
  }
  return { replies, probes };
}

/**
 * One step of a push scenario (runPushScenario): a command a client sends, or the time
 * or condition that lets the server act by itself (expiry).
 */
export type PushStep =
  /** Sends a command and records everything the client receives up to its reply, and what follows the reply. */
  | { c: number; call: string[] }
  /** Sends a command that gets no reply (under CLIENT REPLY OFF, or CLIENT REPLY OFF itself). */
  | { c: number; noReply: string[] }
  /** Lets time pass (an expiry must come due). */
  | { sleep: number }
  /** Waits until DBSIZE of database `db` is `size` (the active expiry deleted a key); DBSIZE expires nothing. */
  | { dbsize: number; db?: number }
  /** Closes a client's connection and waits until the server has dropped it. */
  | { close: number };

/**
 * Runs a scenario of push messages (client-side caching's invalidations, Pub/Sub) on
 * `port` and returns its transcript: per step, what the acting client received (pushes
 * before its reply, the reply, and what the server sent right after it), then what each
 * other client received meanwhile. Arguments "$id<N>" become client N's CLIENT ID, and
 * the ids in the transcript become "$id<N>" again, so that two servers compare.
 *
 * Deterministic whatever the machine's speed: a client's reply is awaited before the
 * next step; the other clients are read up to the answer of a PING sent after it (a
 * server handles one connection's input in order, so a message caused by an earlier
 * command is ahead of that answer). A client in MULTI, or whose replies are off, is not
 * pinged until it is out of that state.
 */
export async function runPushScenario(port: number, steps: PushStep[], options: { clients: number; mapReply?: (reply: string) => string }): Promise<string[]> {
  const clients = await Promise.all(Array.from({ length: options.clients }, () => RawClient.connect(port)));
  const ids: string[] = [];
  for (const client of clients) ids.push(String(await client.call("CLIENT", "ID")));
  const control = await RawClient.connect(port);
  const inMulti = clients.map(() => false);
  const repliesOff = clients.map(() => false);
  const closed = clients.map(() => false);
  const resolveArgs = (args: string[]) => args.map((arg) => arg.replace(/^\$id(\d)$/, (_, n: string) => ids[Number(n)]!));
  // Client ids differ between servers: where a reply names one, it is shown as $id<N>.
  const idName = (id: string) => {
    const n = ids.indexOf(id);
    return n < 0 ? id : `$id${n}`;
  };
  const mapIds = (text: string, args: string[] = []) => {
    let out = text
      .replace(/(\$21\r\ntracking-redir-broken\r\n:|\$8\r\nredirect\r\n:|redir=|\bid=)(\d+)/g, (_, before: string, id: string) => before + idName(id))
      .replace(/(\$2\r\nid\r\n:)(\d+)/g, (_, before: string, id: string) => before + idName(id));
    if (args[0]?.toLowerCase() === "client" && ["getredir", "id"].includes(args[1]?.toLowerCase() ?? "")) out = out.replace(/^:(\d+)/, (_, id: string) => ":" + idName(id));
    return (options.mapReply ?? ((reply: string) => reply))(out);
  };
  const transcript: string[] = [];
  const drainOthers = async (except: number) => {
    for (let i = 0; i < clients.length; i++) {
      if (i === except || closed[i] || inMulti[i] || repliesOff[i]) continue;
      const received = await clients[i]!.drainBeforePing();
      if (received !== "") transcript.push(`   [${i}] ${mapIds(received)}`);
    }
  };
  try {
    for (const step of steps) {
      if ("call" in step || "noReply" in step) {
        const args = "call" in step ? step.call : step.noReply;
        const client = clients[step.c]!;
        const name = args[0]!.toLowerCase();
        const sub = args[1]?.toLowerCase();
        client.write(encodeCommand(resolveArgs(args)));
        let received = "";
        if ("call" in step) {
          // Pushes ('>') may come ahead of the reply; RESP3 (un)subscribe confirmations are pushes themselves.
          for (;;) {
            const frame = await client.readRawReply();
            received += frame;
            if (!frame.startsWith(">") || name.endsWith("subscribe")) break;
          }
        }
        if (name === "multi") inMulti[step.c] = true;
        if (name === "exec" || name === "discard" || name === "reset") inMulti[step.c] = false;
        if (name === "client" && sub === "reply") repliesOff[step.c] = args[2]!.toLowerCase() !== "on";
        if (name === "reset") repliesOff[step.c] = false;
        // What the server sent right after the reply (a client's own invalidations follow it).
        if (!inMulti[step.c] && !repliesOff[step.c]) received += await client.drainBeforePing();
        transcript.push(`${step.c}> ${args.join(" ")}\n   ${mapIds(received, args)}`);
        await drainOthers(step.c);
      } else if ("sleep" in step) {
        await Bun.sleep(step.sleep);
      } else if ("dbsize" in step) {
        await control.call("SELECT", String(step.db ?? 0));
        await waitFor(async () => Number(await control.call("DBSIZE")) === step.dbsize, { what: `DBSIZE ${step.dbsize}` });
        await drainOthers(-1);
      } else {
        clients[step.close]!.close();
        closed[step.close] = true;
        const gone = `id=${ids[step.close]} `;
        await waitFor(async () => !String(await control.call("CLIENT", "LIST")).includes(gone), { what: `client ${step.close} to be dropped` });
      }
    }
  } finally {
    for (const client of clients) client.close();
    control.close();
  }
  return transcript;
}
