// The server's scripting: the script runner (the running script, its client, SCRIPT
// KILL), the EVAL scripts and the function libraries. What happens while a
// script runs too long is in busy.ts.

import type { Server } from "../server.ts";
import type { LuaState } from "./lua.ts";
import { EvalScripts } from "./eval.ts";
import { Functions } from "./functions.ts";
import { ScriptRunner } from "./script.ts";
import { whileScriptBusy } from "./busy.ts";

export class Scripting {
  readonly runner: ScriptRunner;
  readonly evalScripts: EvalScripts;
  readonly functions: Functions;

  constructor(readonly server: Server) {
    this.runner = new ScriptRunner(server);
    const host = {
      server,
      runner: this.runner,
      onBusyHook: (_lua: LuaState, _L: number) => whileScriptBusy(server, this.runner),
    };
    this.evalScripts = new EvalScripts(host);
    this.functions = new Functions(host);
  }
}
