// What redis-server's main() does once the process is set up (main.ts): argv and the
// config file to a Server, then listen, load the dataset and start serverCron.

import { Config, ConfigError, FatalConfigError } from "./config.ts";
import { Server } from "./server.ts";
import { BUNKER_VERSION, REDIS_VERSION } from "./version.ts";
import { registerAllCommands } from "./commands/index.ts";
import { CommandTable } from "./commands/table.ts";
import { Cron } from "./cron.ts";
import { logger } from "./log.ts";
import { ProcTitle } from "./proc-title.ts";
import { startSnapshotWorker } from "./persistence/snapshot.ts";
import { MODULES_UNSUPPORTED } from "./commands/server.ts";
import { installCrashHandlers } from "./crash.ts";

const USAGE = `Usage: bun run server [/path/to/redis.conf] [options] [-]
       bun run server - (read config from stdin)
       bun run server -v or --version
       bun run server -h or --help

Bunker is a Redis 7.0-compatible server. It takes redis-server's command line:
a config file in redis.conf syntax and/or any config parameter as --name value.
docs/configuration.md says what Bunker does with each parameter: most work as in
Redis, some are accepted with no effect, and a value that needs a feature Bunker
does not have yet (cluster-enabled yes, a tls-port) stops the start-up.

Examples:
       bun run server (run the server with the embedded default configuration)
       bun run server /etc/redis/6379.conf
       bun run server --port 7777
       bun run server --port 7777 --save 60 1 --dir /data
       bun run server /etc/myredis.conf --loglevel verbose -
       bun run server /etc/myredis.conf --loglevel verbose
`;

const EMBEDDED_CONFIG = "bind 127.0.0.1 -::1\n";

export async function main(argv: string[]): Promise<void> {
  if (argv[0] === "-h" || argv[0] === "--help") {
    process.stdout.write(USAGE);
    return;
  }
  if (argv[0] === "-v" || argv[0] === "--version") {
    process.stdout.write(`Bunker server v=${BUNKER_VERSION} redis_version=${REDIS_VERSION} bun=${Bun.version} bits=64\n`);
    return;
  }
  // The command table is needed before the config: rename-command checks command names.
  const commands = new CommandTable();
  registerAllCommands(commands);
  let config: Config;
  try {
    const loaded = Config.fromArgs(argv, process.cwd(), {
      isKnownCommand: (name) => commands.lookup(name.toLowerCase()) !== undefined,
      // Bunker's embedded defaults: the shipped redis.conf listens on loopback only (the
      // binary's own default is "* -::*"). The container's bunker-server replaces them with
      // its own through BUNKER_BUILTIN_CONFIG. A config file or option still overrides them.
      builtInConfig: process.env.BUNKER_BUILTIN_CONFIG ?? EMBEDDED_CONFIG,
    });
    config = loaded.config;
    for (const { from, to } of config.renamedCommands) commands.rename(from, to);
    if (loaded.readConfigFromStdin) logger.notice("Reading config from stdin");
  } catch (error) {
    if (error instanceof FatalConfigError) {
      if (error.reportedThroughLog) logger.warning(error.report);
      else process.stderr.write(error.report);
      process.exit(1);
    }
    throw error;
  }
  logger.notice("oO0OoO0OoO0Oo Bunker is starting oO0OoO0OoO0Oo");
  logger.notice(`Bunker version=${BUNKER_VERSION}, redis_version=${REDIS_VERSION}, bits=64, pid=${process.pid}, just started`);
  if (config.configFile === undefined) {
    logger.warning("Warning: no config file specified, using the default config. In order to specify a config file use bun run server /path/to/redis.conf");
  } else logger.notice("Configuration loaded");

  // Server.listen() takes port 0 as "any free port" (in-process tests use it); the
  // server binary is Redis's: port 0 and no unix socket means nowhere to listen.
  if (config.getNumber("port") === 0 && config.getString("unixsocket") === "") {
    logger.warning("Configured to not listen anywhere, exiting.");
    process.exit(1);
  }
  const server = new Server(config, commands);
  installCrashHandlers(server);
  const cron = new Cron(server);
  server.cron = cron;
  server.writePidFile();
  try {
    await server.listen();
  } catch (error) {
    logger.warning(error instanceof Error ? error.message : String(error));
    process.exit(1);
  }
  redisAsciiArt(config, server.port);
  const procTitle = new ProcTitle(config);
  procTitle.set();
  config.onChange("proc-title-template", () => {
    if (!procTitle.set()) throw new ConfigError("failed to set process title");
  });
  // A listener that moved changes {listen-addr} and {port}, as changeListener re-titles Redis.
  config.onChange("port", () => procTitle.set());
  logger.warning("Server initialized");
  // moduleLoadFromQueue: a module that cannot load stops the server, as on Redis.
  const moduleToLoad = config.moduleLoadQueue[0];
  if (moduleToLoad !== undefined) {
    logger.warning(`Module ${moduleToLoad[0]} failed to load: ${MODULES_UNSUPPORTED}`);
    logger.warning(`Can't load module from ${moduleToLoad[0]}: server aborting`);
    process.exit(1);
  }
  if (config.moduleConfigQueue.size > 0) {
    logger.warning("Module Configuration detected without loadmodule directive or no ApplyConfig call: aborting");
    process.exit(1);
  }
  server.persistence.installSignalHandlers();
  // replicaof in the config: a replica from the start (its load keeps keys past their time).
  const master = config.replicaOf();
  if (master !== null) server.masterLink.configureFromStartup(master.host, master.port);
  const loaded = await server.persistence.loadAtStartup();
  if (loaded !== true) process.exit(loaded === false ? 1 : loaded.exitCode);
  // Before the ready line (Redis sets it just after): whoever waits for that line finds the score set.
  server.setOOMScoreAdj();
  server.logReady();
  startSnapshotWorker();
  // Redis warns about a suspicious maxmemory once it is ready, before its event loop runs.
  const maxmemory = server.evictor.maxmemory;
  if (maxmemory > 0 && maxmemory < 1024 * 1024) {
    logger.warning(`WARNING: You specified a maxmemory value that is less than 1MB (current value is ${maxmemory} bytes). Are you sure this is what you really want?`);
  }
  cron.start();
}

/**
 * The start-up banner where Redis shows its ASCII logo: on a terminal with the log on
 * standard output, or with always-show-logo yes. It carries the lines scripts that
 * start servers wait for ("Port: ...", "PID: ..."); elsewhere one log line says the same.
 */
function redisAsciiArt(config: Config, port: number): void {
  const showLogo = config.getBool("always-show-logo") || (config.getString("logfile") === "" && process.stdout.isTTY === true);
  if (!showLogo) {
    logger.notice(`Running mode=standalone, port=${port}.`);
    return;
  }
  logger.raw(
    [
      "",
      "     ____              __                 Bunker " + BUNKER_VERSION + " (Redis " + REDIS_VERSION + ") 64 bit",
      "    / __ )__  ______  / /_____  _____",
      "   / __  / / / / __ \\/ //_/ _ \\/ ___/     Running in standalone mode",
      "  / /_/ / /_/ / / / / ,< /  __/ /         Port: " + port,
      " /_____/\\__,_/_/ /_/_/|_|\\___/_/          PID: " + process.pid,
      "",
      "",
    ].join("\n"),
  );
}
