// The server's scripting: the script runner (the running script, its client, SCRIPT
// KILL) and the EVAL scripts; later the function libraries. What happens while a
// script runs too long is in busy.ts.

import type { Server } from "../server.ts";
import type { LuaState } from "./lua.ts";
import { EvalScripts } from "./eval.ts";
import { ScriptRunner } from "./script.ts";
import { whileScriptBusy } from "./busy.ts";

export class Scripting {
  readonly runner: ScriptRunner;
  readonly evalScripts: EvalScripts;

  constructor(readonly server: Server) {
    this.runner = new ScriptRunner(server);
    this.evalScripts = new EvalScripts({
      server,
      runner: this.runner,
      onBusyHook: (_lua: LuaState, _L: number) => whileScriptBusy(server, this.runner),
    });
  }
}
