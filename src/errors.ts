// Every Redis error text the server sends, built in one place so tests can compare bytes.
// Texts are without the leading '-' (the reply writer adds it).

export const WRONGTYPE = "WRONGTYPE Operation against a key holding the wrong kind of value";
export const SYNTAX_ERROR = "ERR syntax error";
export const NOT_INTEGER = "ERR value is not an integer or out of range";
export const NOT_FLOAT = "ERR value is not a valid float";
export const OVERFLOW = "ERR increment or decrement would overflow";
export const NO_SUCH_KEY = "ERR no such key";
export const OUT_OF_RANGE = "ERR index out of range";
export const INVALID_DB = "ERR DB index is out of range";
export const NOAUTH = "NOAUTH Authentication required.";
export const LOADING = "LOADING Redis is loading the dataset in memory";
export const EXECABORT = "EXECABORT Transaction discarded because of previous errors.";
export const NOT_ALLOWED_IN_MULTI = "ERR Command not allowed inside a transaction";
export const BGSAVE_IN_PROGRESS = "ERR Background save already in progress";
export const BGSAVE_OTHER_CHILD =
  "ERR Another child process is active (AOF?): can't BGSAVE right now. Use BGSAVE SCHEDULE in order to schedule a BGSAVE whenever possible.";
export const MISCONF_RDB =
  "MISCONF Redis is configured to save RDB snapshots, but it's currently unable to persist to disk. Commands that may modify the data set are disabled, because this instance is configured to report errors during writes if RDB snapshotting fails (stop-writes-on-bgsave-error option). Please check the Redis logs for details about the RDB error.";
export const MAX_CLIENTS = "ERR max number of clients reached";
export const OOM = "OOM command not allowed when used memory > 'maxmemory'.";
export const TIMEOUT_NOT_FLOAT = "ERR timeout is not a float or out of range";
export const TIMEOUT_NEGATIVE = "ERR timeout is negative";
// A replica refusing users (replica-read-only, replica-serve-stale-data no).
export const READONLY_REPLICA = "READONLY You can't write against a read only replica.";
export const MASTERDOWN = "MASTERDOWN Link with MASTER is down and replica-serve-stale-data is set to 'no'.";

/** Arity error: `name` is the full name ("get", "config|get"). */
export function wrongArgs(name: string): string {
  return `ERR wrong number of arguments for '${name}' command`;
}

/** Redis quotes at most about 128 bytes of the arguments, each as 'arg' followed by a space. */
/** An argument as C's `%s` prints it: up to its first NUL byte, then at most `limit` bytes. */
function asCString(text: string, limit: number): string {
  const nul = text.indexOf("\0");
  return (nul === -1 ? text : text.slice(0, nul)).slice(0, limit);
}

export function unknownCommand(name: string, args: string[]): string {
  let quoted = "";
  for (let i = 0; i < args.length && quoted.length < 128; i++) {
    quoted += `'${asCString(args[i]!, 128 - quoted.length)}' `;
  }
  return `ERR unknown command '${asCString(name, 128)}', with args beginning with: ${quoted}`;
}

export function unknownSubcommand(sub: string, container: string): string {
  return `ERR unknown subcommand '${asCString(sub, 128)}'. Try ${container.toUpperCase()} HELP.`;
}

/** addReplySubcommandSyntaxError: an unknown subcommand, or a known one with the wrong arguments. */
export function subcommandSyntaxError(sub: string, container: string): string {
  return `ERR unknown subcommand or wrong number of arguments for '${asCString(sub, 128)}'. Try ${container.toUpperCase()} HELP.`;
}

export function pubsubContext(name: string): string {
  return `ERR Can't execute '${name}': only (P|S)SUBSCRIBE / (P|S)UNSUBSCRIBE / PING / QUIT / RESET are allowed in this context`;
}

export function protectedModeDenied(): string {
  return (
    "DENIED Redis is running in protected mode because protected mode is enabled and no password is set for the default user. " +
    "In this mode connections are only accepted from the loopback interface. If you want to connect from external computers to Redis you may adopt one of the following solutions: " +
    "1) Just disable protected mode sending the command 'CONFIG SET protected-mode no' from the loopback interface by connecting to Redis from the same host the server is running, however MAKE SURE Redis is not publicly accessible from internet if you do so. Use CONFIG REWRITE to make this change permanent. " +
    "2) Alternatively you can just disable the protected mode by editing the Redis configuration file, and setting the protected mode option to 'no', and then restarting the server. " +
    "3) If you started the server manually just for testing, restart it with the '--protected-mode no' option. " +
    "4) Setup a an authentication password for the default user. " +
    "NOTE: You only need to do one of the above things in order for the server to start accepting connections from the outside."
  );
}

/** The ERR errors Redis sends as shared objects (createSharedObjects), "-ERR" prefix included. */
const SHARED_ERR_OBJECTS = new Set([NO_SUCH_KEY, SYNTAX_ERROR, "ERR source and destination objects are the same", OUT_OF_RANGE]);

/**
 * An error reply as Redis's afterErrorReply sees it, for the log lines that quote it
 * ("== CRITICAL == This server is sending an error to its AOF-loading-client: ..."):
 * a shared error object, or an error with a code of its own, starts with "-CODE"; an
 * ERR error added with addReplyError has no prefix (the "-ERR " is added on the wire).
 */
export function errorAsPassedToReply(message: string): string {
  if (!message.startsWith("ERR ") || SHARED_ERR_OBJECTS.has(message)) return `-${message}`;
  return message.slice(4);
}

/** A protected command (DEBUG, MODULE LOAD...) that its enable-*-command setting does not allow here. */
export function protectedCommandNotAllowed(command: string, option: string): string {
  return `ERR ${command} command not allowed. If the ${option} option is set to "local", you can run it from a local connection, otherwise you need to set this option in the configuration file, and then restart the server.`;
}

// CLIENT TRACKING and CLIENT CACHING (networking.c, tracking.c).
export const TRACKING_REDIRECT_TWICE = "ERR A client can only redirect to a single other client";
export const TRACKING_REDIRECT_MISSING = "ERR The client ID you want redirect to does not exist";
export const TRACKING_PREFIX_WITHOUT_BCAST = "ERR PREFIX option requires BCAST mode to be enabled";
export const TRACKING_SWITCH_BCAST =
  "ERR You can't switch BCAST mode on/off before disabling tracking for this client, and then re-enabling it with a different mode.";
export const TRACKING_OPTIN_OPTOUT_WITH_BCAST = "ERR OPTIN and OPTOUT are not compatible with BCAST";
export const TRACKING_OPTIN_AND_OPTOUT = "ERR You can't specify both OPTIN mode and OPTOUT mode";
export const TRACKING_SWITCH_OPTIN_OPTOUT =
  "ERR You can't switch OPTIN/OPTOUT mode before disabling tracking for this client, and then re-enabling it with a different mode.";
export const CACHING_WITHOUT_TRACKING = "ERR CLIENT CACHING can be called only when the client is in tracking mode with OPTIN or OPTOUT mode enabled";
export const CACHING_YES_WITHOUT_OPTIN = "ERR CLIENT CACHING YES is only valid when tracking is enabled in OPTIN mode.";
export const CACHING_NO_WITHOUT_OPTOUT = "ERR CLIENT CACHING NO is only valid when tracking is enabled in OPTOUT mode.";

/** A BCAST prefix that overlaps one the client already broadcasts on (prefixes printed as C strings). */
export function trackingPrefixOverlapsExisting(prefix: string, existing: string): string {
  return `ERR Prefix '${asCString(prefix, Infinity)}' overlaps with an existing prefix '${asCString(existing, Infinity)}'. Prefixes for a single client must not overlap.`;
}

/** Two BCAST prefixes of one CLIENT TRACKING that overlap. */
export function trackingPrefixOverlapsProvided(prefix: string, other: string): string {
  return `ERR Prefix '${asCString(prefix, Infinity)}' overlaps with another provided prefix '${asCString(other, Infinity)}'. Prefixes for a single client must not overlap.`;
}
