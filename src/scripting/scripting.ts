// The server's scripting: the script runner (the running script, its client, SCRIPT
// KILL), the EVAL scripts and the function libraries. What happens while a
// script runs too long is in busy.ts.

import type { Server } from "../server.ts";
import { bytesToKey } from "../db/bytes.ts";
import type { LuaState } from "./lua.ts";
import type { Command } from "../commands/table.ts";
import { EvalScripts } from "./eval.ts";
import { Functions } from "./functions.ts";
import { SCRIPT_FLAG_EVAL_COMPAT_MODE, ScriptRunner, scriptCommandFlags } from "./script.ts";
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

  /**
   * getCommandFlags for EVAL, EVALSHA (evalGetCommandFlags) and FCALL
   * (fcallGetCommandFlags): a script whose shebang or a function whose registration
   * declares flags is a write command unless it says no-writes, and may replicate only
   * then, and deny-oom unless it says allow-oom or no-writes; processCommand refuses it
   * (MISCONF, CLIENT PAUSE WRITE, OOM...) as such. null for
   * other commands, and for scripts without flags or not known: the declaration holds.
   */
  writeFlagsOf(command: Command, argv: Uint8Array[]): { write: boolean; mayReplicate: boolean; denyOom: boolean; stale: boolean } | null {
    const name = command.name;
    if (argv.length < 2) return null;
    if (name === "fcall" || name === "fcall_ro") {
      // fcallGetCommandFlags: the flags the function was registered with.
      const fn = this.functions.find(bytesToKey(argv[1]!));
      if (fn === undefined) return null;
      const { write, denyOom, stale } = scriptCommandFlags(fn.flags);
      return { write, mayReplicate: write, denyOom, stale };
    }
    const isEvalsha = name === "evalsha" || name === "evalsha_ro";
    if (!isEvalsha && name !== "eval" && name !== "eval_ro") return null;
    const flags = this.evalScripts.scriptFlagsFor(argv, isEvalsha);
    if (flags === null || (flags & SCRIPT_FLAG_EVAL_COMPAT_MODE) !== 0) return null;
    const { write, denyOom, stale } = scriptCommandFlags(flags);
    return { write, mayReplicate: write, denyOom, stale };
  }
}
