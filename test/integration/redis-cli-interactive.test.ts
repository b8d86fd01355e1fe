// An interactive redis-cli session in a terminal (tmux), against Bunker and against
// redis-server 7.0.15: the typing hints redis-cli shows as a command is typed (built
// from the server's COMMAND DOCS) and what `help <command>` prints must be the same
// screen, the port in the prompt aside.

import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { haveRedis } from "../helpers/differential.ts";
import { startBunker, startRedis, type RunningServer } from "../helpers/server.ts";
import { waitFor } from "../helpers/wait.ts";

const TMUX = Bun.which("tmux");
const REDIS_CLI = Bun.which("redis-cli");
// Skipped without tmux or redis-cli (no terminal to type into), or without redis-server.
const d = haveRedis && TMUX !== null && REDIS_CLI !== null ? describe : describe.skip;

/** A tmux server of this test's own (its socket name), one window running redis-cli. */
class Terminal {
  private constructor(
    private readonly socket: string,
    readonly port: number,
  ) {}

  static async open(port: number): Promise<Terminal> {
    const terminal = new Terminal(`bunker-cli-test-${process.pid}-${port}`, port);
    terminal.tmux("new-session", "-d", "-x", "200", "-y", "50", `${REDIS_CLI} -p ${port}`);
    try {
      await waitFor(() => terminal.screen().includes("127.0.0.1:<port>>"), { what: "redis-cli's prompt" });
    } catch (error) {
      terminal.close();
      throw error;
    }
    return terminal;
  }

  private tmux(...args: string[]): string {
    const result = Bun.spawnSync([TMUX!, "-L", this.socket, ...args]);
    return result.stdout.toString();
  }

  /** The screen's lines, trailing blanks removed, the port in the prompt replaced. */
  screen(): string {
    return this.tmux("capture-pane", "-p").replaceAll(String(this.port), "<port>").replace(/\s+$/, "");
  }

  type(text: string, enter = false): void {
    this.tmux("send-keys", "-l", text);
    if (enter) this.tmux("send-keys", "Enter");
  }

  /** Clears the screen and the line being edited (Ctrl-L, Ctrl-U). */
  clear(): void {
    this.tmux("send-keys", "C-u");
    this.tmux("send-keys", "C-l");
  }

  close(): void {
    this.tmux("kill-server");
  }
}

d("redis-cli in a terminal: Bunker shows what redis-server shows", () => {
  let bunker: RunningServer;
  let redis: RunningServer;
  let ours: Terminal;
  let theirs: Terminal;

  beforeAll(async () => {
    [bunker, redis] = await Promise.all([startBunker(), startRedis()]);
    [ours, theirs] = await Promise.all([Terminal.open(bunker.port), Terminal.open(redis.port)]);
  });
  afterAll(async () => {
    ours?.close();
    theirs?.close();
    await Promise.all([bunker?.stop(), redis?.stop()]);
  });

  /** Types into both terminals and waits until both screens have settled on the same text. */
  async function sameScreen(text: string, enter: boolean, settled: (screen: string) => boolean): Promise<string> {
    for (const terminal of [ours, theirs]) {
      terminal.clear();
      await waitFor(() => terminal.screen().trim() === "127.0.0.1:<port>>", { what: "a cleared screen" });
      terminal.type(text, enter);
    }
    await waitFor(() => settled(theirs.screen()), { what: `redis-server's screen after ${JSON.stringify(text)}` });
    let screen = "";
    await waitFor(
      () => {
        screen = theirs.screen();
        return ours.screen() === screen;
      },
      { what: `the same screen after ${JSON.stringify(text)}` },
    ).catch(() => {
      expect({ text, screen: ours.screen() }).toEqual({ text, screen: theirs.screen() });
    });
    return screen;
  }

  const hints: Array<[string, string]> = [
    ["SET ", "key value [NX|XX]"],
    ["SET mykey ", "value [NX|XX]"],
    ["HSET ", "key field value [field value ...]"],
    ["ZADD ", "key [NX|XX] [GT|LT] [CH] [INCR] score member [score member ...]"],
    ["GEOSEARCH ", "key FROMMEMBER member|FROMLONLAT longitude latitude"],
    ["CLIENT KILL ", "ip:port|[ID client-id]"],
  ];
  for (const [typed, expected] of hints) {
    test(`the hint after typing ${JSON.stringify(typed)}`, async () => {
      const screen = await sameScreen(typed, false, (s) => s.includes(expected));
      expect(screen).toContain(typed.trimEnd());
    });
  }

  test("help SET", async () => {
    const screen = await sameScreen("help SET", true, (s) => /group: string/.test(s));
    expect(screen).toContain("SET key value [NX|XX]");
  });
});
