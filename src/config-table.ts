// Every configuration parameter of Redis 7.0.15, declared once as data, in the
// spirit of config.c's standardConfig table. config.ts builds CONFIG GET/SET/
// REWRITE and the config file parser on top of it.
//
// The list, the defaults and the flags were taken from a real 7.0.15 (`CONFIG GET *`,
// probing CONFIG SET with valid and invalid values); types and ranges follow the
// types Redis stores them in, because those decide the error texts users see
// (an unsigned `size_t` parameter rejects -1 with "argument must be between 0 and
// 9223372036854775807 inclusive", a `long` one with the same text for other reasons).
//
// Parameters Bunker does not act on (cluster-*, tls-*, repl-*, ...) are listed too,
// so that CONFIG GET/SET/REWRITE answer exactly as Redis does. Where a value other than
// the default would need a feature Bunker lacks (cluster-enabled yes, a tls-port, a
// replicaof master), the parameter says so with `unsupported`: that value is refused at
// start-up and by CONFIG SET, never accepted and silently ignored. docs/configuration.md
// says what Bunker does with each parameter.

/** The value model of a parameter, mirroring Redis's config types. */
export type ConfigKind = "bool" | "int" | "memory" | "enum" | "string" | "special";

/**
 * The C type Redis keeps a numeric parameter in. Unsigned types (uint, ulonglong,
 * size_t) are range-checked as unsigned 64-bit numbers, so "-1" turns into 2^64-1
 * and fails the upper bound; the others are checked as signed 64-bit numbers.
 */
export type NumericStorage =
  | "int"
  | "uint"
  | "long"
  | "ulong"
  | "longlong"
  | "ulonglong"
  | "size_t"
  | "ssize_t"
  | "time_t"
  | "off_t";

export interface ConfigFlags {
  /** Only settable at start-up (config file / command line): "can't set immutable config". */
  readonly immutable?: boolean;
  /** Refused by CONFIG SET unless enable-protected-configs allows it: "can't set protected config". */
  readonly protected?: boolean;
  /** Left out of pattern matches in CONFIG GET (an exact name still answers). */
  readonly hidden?: boolean;
  /** CONFIG SET answers -LOADING while the dataset is being loaded. */
  readonly denyLoading?: boolean;
  /** Its CONFIG SET value is redacted from SLOWLOG / MONITOR. */
  readonly sensitive?: boolean;
  /** Takes several arguments: CONFIG SET splits its value on single spaces. */
  readonly multiArg?: boolean;
}

/**
 * A feature Bunker does not have yet. The parameter keeps working at its default (the
 * value that needs no such feature: cluster-enabled no, tls-port 0, replicaof "no one");
 * any other value is refused with "Bunker does not support <feature> (<name>)".
 */
export interface Unsupported {
  /** What is missing, as the refusal names it: "cluster mode", "TLS", "replication"... */
  readonly feature: string;
}

interface ParamBase {
  readonly name: string;
  /** The other name Redis accepts (slaveof for replicaof, hash-max-ziplist-entries...). */
  readonly alias?: string;
  readonly flags: ConfigFlags;
  /** The value exactly as CONFIG GET prints it on a server started without options. */
  readonly default: string;
  /** Set when any value but the default needs a feature Bunker lacks. */
  readonly unsupported?: Unsupported;
}

export interface BoolParam extends ParamBase {
  readonly kind: "bool";
  /** Named check run on the new value ("activedefrag" is refused as on Redis builds without a defragmenting allocator). */
  readonly check?: "activedefrag";
}

export interface NumericParam extends ParamBase {
  readonly kind: "int" | "memory";
  readonly storage: NumericStorage;
  readonly min: bigint;
  readonly max: bigint;
  /** Also accepts "N%" (stored as -N), printed back as "N%". */
  readonly percent?: boolean;
  /** Parsed and printed in base 8 (unixsocketperm). */
  readonly octal?: boolean;
}

export interface EnumParam extends ParamBase {
  readonly kind: "enum";
  /** Names in Redis's order (error texts list them in this order); equal values are synonyms. */
  readonly values: ReadonlyArray<readonly [string, number]>;
  /** Several names may be given at once and are OR-ed together (shutdown-on-sigterm "save now"). */
  readonly bitflags?: boolean;
}

export type StringCheck = "dbfilename" | "appendfilename" | "appenddirname" | "hostname" | "proc-title-template";

export interface StringParam extends ParamBase {
  readonly kind: "string";
  /**
   * Redis keeps "" as "no value" (NULL) for these: CONFIG REWRITE then drops the
   * line instead of writing `name ""`.
   */
  readonly emptyIsNull: boolean;
  readonly check?: StringCheck;
}

export type SpecialName =
  | "dir"
  | "save"
  | "client-output-buffer-limit"
  | "oom-score-adj-values"
  | "notify-keyspace-events"
  | "bind"
  | "replicaof"
  | "latency-tracking-info-percentiles";

export interface SpecialParam extends ParamBase {
  readonly kind: "special";
  readonly name: SpecialName;
}

export type ConfigParam = BoolParam | NumericParam | EnumParam | StringParam | SpecialParam;

export const INT_MIN = -2147483648n;
export const INT_MAX = 2147483647n;
export const UINT_MAX = 4294967295n;
export const LONG_MAX = 9223372036854775807n;
export const LLONG_MAX = LONG_MAX;
export const ULLONG_MAX = 18446744073709551615n;
export const SSIZE_MAX = LONG_MAX;

const MODIFIABLE: ConfigFlags = {};
const IMMUTABLE: ConfigFlags = { immutable: true };
const HIDDEN: ConfigFlags = { hidden: true };
const SENSITIVE: ConfigFlags = { sensitive: true };

function bool(name: string, alias: string | undefined, flags: ConfigFlags, defaultValue: boolean): BoolParam {
  return { kind: "bool", name, alias, flags, default: defaultValue ? "yes" : "no" };
}

function int(
  name: string,
  alias: string | undefined,
  flags: ConfigFlags,
  storage: NumericStorage,
  min: bigint,
  max: bigint,
  defaultValue: bigint,
): NumericParam {
  return { kind: "int", name, alias, flags, storage, min, max, default: String(defaultValue) };
}

function memory(
  name: string,
  alias: string | undefined,
  flags: ConfigFlags,
  storage: NumericStorage,
  min: bigint,
  max: bigint,
  defaultValue: bigint,
): NumericParam {
  return { kind: "memory", name, alias, flags, storage, min, max, default: String(defaultValue) };
}

function enumeration(
  name: string,
  flags: ConfigFlags,
  values: ReadonlyArray<readonly [string, number]>,
  defaultName: string,
): EnumParam {
  return { kind: "enum", name, flags, values, default: defaultName };
}

/** A string parameter whose default is a real value (Redis ALLOW_EMPTY_STRING). */
function text(name: string, flags: ConfigFlags, defaultValue: string, check?: StringCheck): StringParam {
  return { kind: "string", name, flags, default: defaultValue, emptyIsNull: false, check };
}

/** A string parameter that is unset by default and "" unsets it again (Redis EMPTY_STRING_IS_NULL). */
function optionalText(name: string, alias: string | undefined, flags: ConfigFlags, check?: StringCheck): StringParam {
  return { kind: "string", name, alias, flags, default: "", emptyIsNull: true, check };
}

function special(name: SpecialName, alias: string | undefined, flags: ConfigFlags, defaultValue: string): SpecialParam {
  return { kind: "special", name, alias, flags, default: defaultValue };
}

/** `param`, whose values other than the default need `feature`, which Bunker lacks. */
function lacking<P extends ConfigParam>(param: P, feature: string): P {
  return { ...param, unsupported: { feature } };
}

const PROTECTED_ACTION: ReadonlyArray<readonly [string, number]> = [
  ["no", 0],
  ["yes", 1],
  ["local", 2],
];

/** Bits of shutdown-on-sigterm / shutdown-on-sigint, as SHUTDOWN's flags. */
export const SHUTDOWN_SAVE = 1;
export const SHUTDOWN_NOSAVE = 2;
export const SHUTDOWN_NOW = 4;
export const SHUTDOWN_FORCE = 8;

const SHUTDOWN_ON_SIGNAL: ReadonlyArray<readonly [string, number]> = [
  ["default", 0],
  ["save", SHUTDOWN_SAVE],
  ["nosave", SHUTDOWN_NOSAVE],
  ["now", SHUTDOWN_NOW],
  ["force", SHUTDOWN_FORCE],
];

/** Redis's client-output-buffer-limit defaults, per class, in bytes and seconds. */
export const CLIENT_OUTPUT_BUFFER_LIMIT_DEFAULTS = {
  normal: { hard: 0n, soft: 0n, softSeconds: 0 },
  replica: { hard: 256n * 1024n * 1024n, soft: 64n * 1024n * 1024n, softSeconds: 60 },
  pubsub: { hard: 32n * 1024n * 1024n, soft: 8n * 1024n * 1024n, softSeconds: 60 },
} as const;

export const SAVE_DEFAULTS: ReadonlyArray<{ readonly seconds: number; readonly changes: number }> = [
  { seconds: 3600, changes: 1 },
  { seconds: 300, changes: 100 },
  { seconds: 60, changes: 10000 },
];

export const OOM_SCORE_ADJ_DEFAULTS: readonly [number, number, number] = [0, 200, 800];
export const LATENCY_PERCENTILES_DEFAULTS: readonly number[] = [50, 99, 99.9];
export const BIND_DEFAULTS: readonly string[] = ["*", "-::*"];

export const CONFIG_TABLE: readonly ConfigParam[] = [
  // Booleans
  bool("rdbchecksum", undefined, IMMUTABLE, true),
  lacking(bool("daemonize", undefined, IMMUTABLE, false), "running as a daemon"),
  bool("io-threads-do-reads", undefined, IMMUTABLE, false),
  bool("always-show-logo", undefined, IMMUTABLE, false),
  bool("protected-mode", undefined, MODIFIABLE, true),
  bool("rdbcompression", undefined, MODIFIABLE, true),
  bool("rdb-del-sync-files", undefined, MODIFIABLE, false),
  bool("activerehashing", undefined, MODIFIABLE, true),
  bool("stop-writes-on-bgsave-error", undefined, MODIFIABLE, true),
  bool("set-proc-title", undefined, IMMUTABLE, true),
  bool("dynamic-hz", undefined, MODIFIABLE, true),
  bool("lazyfree-lazy-eviction", undefined, MODIFIABLE, false),
  bool("lazyfree-lazy-expire", undefined, MODIFIABLE, false),
  bool("lazyfree-lazy-server-del", undefined, MODIFIABLE, false),
  bool("lazyfree-lazy-user-del", undefined, MODIFIABLE, false),
  bool("lazyfree-lazy-user-flush", undefined, MODIFIABLE, false),
  bool("repl-disable-tcp-nodelay", undefined, MODIFIABLE, false),
  bool("repl-diskless-sync", undefined, MODIFIABLE, true),
  bool("aof-rewrite-incremental-fsync", undefined, MODIFIABLE, true),
  bool("no-appendfsync-on-rewrite", undefined, MODIFIABLE, false),
  bool("cluster-require-full-coverage", undefined, MODIFIABLE, true),
  bool("rdb-save-incremental-fsync", undefined, MODIFIABLE, true),
  bool("aof-load-truncated", undefined, MODIFIABLE, true),
  bool("aof-use-rdb-preamble", undefined, MODIFIABLE, true),
  bool("aof-timestamp-enabled", undefined, MODIFIABLE, false),
  bool("cluster-replica-no-failover", "cluster-slave-no-failover", MODIFIABLE, false),
  bool("replica-lazy-flush", "slave-lazy-flush", MODIFIABLE, false),
  bool("replica-serve-stale-data", "slave-serve-stale-data", MODIFIABLE, true),
  bool("replica-read-only", "slave-read-only", MODIFIABLE, true),
  bool("replica-ignore-maxmemory", "slave-ignore-maxmemory", MODIFIABLE, true),
  bool("jemalloc-bg-thread", undefined, MODIFIABLE, true),
  { ...bool("activedefrag", undefined, MODIFIABLE, false), check: "activedefrag" },
  lacking(bool("syslog-enabled", undefined, IMMUTABLE, false), "logging to syslog"),
  lacking(bool("cluster-enabled", undefined, IMMUTABLE, false), "cluster mode"),
  bool("appendonly", undefined, { denyLoading: true }, false),
  bool("cluster-allow-reads-when-down", undefined, MODIFIABLE, false),
  bool("cluster-allow-pubsubshard-when-down", undefined, MODIFIABLE, true),
  bool("crash-log-enabled", undefined, MODIFIABLE, true),
  bool("crash-memcheck-enabled", undefined, MODIFIABLE, true),
  bool("use-exit-on-panic", undefined, HIDDEN, false),
  bool("disable-thp", undefined, IMMUTABLE, true),
  bool("cluster-allow-replica-migration", undefined, MODIFIABLE, true),
  bool("replica-announced", undefined, MODIFIABLE, true),
  bool("latency-tracking", undefined, MODIFIABLE, true),
  bool("aof-disable-auto-gc", undefined, MODIFIABLE, false),
  bool("replica-ignore-disk-write-errors", undefined, MODIFIABLE, false),

  // Strings
  lacking(text("aclfile", IMMUTABLE, ""), "ACL files"),
  optionalText("unixsocket", undefined, IMMUTABLE),
  optionalText("pidfile", undefined, IMMUTABLE),
  optionalText("replica-announce-ip", "slave-announce-ip", MODIFIABLE),
  optionalText("masteruser", undefined, SENSITIVE),
  optionalText("cluster-announce-ip", undefined, MODIFIABLE),
  text("cluster-config-file", IMMUTABLE, "nodes.conf"),
  optionalText("cluster-announce-hostname", undefined, MODIFIABLE, "hostname"),
  text("syslog-ident", IMMUTABLE, "redis"),
  text("dbfilename", { protected: true }, "dump.rdb", "dbfilename"),
  text("appendfilename", IMMUTABLE, "appendonly.aof", "appendfilename"),
  text("appenddirname", IMMUTABLE, "appendonlydir", "appenddirname"),
  optionalText("server_cpulist", undefined, IMMUTABLE),
  optionalText("bio_cpulist", undefined, IMMUTABLE),
  optionalText("aof_rewrite_cpulist", undefined, IMMUTABLE),
  optionalText("bgsave_cpulist", undefined, IMMUTABLE),
  text("ignore-warnings", MODIFIABLE, ""),
  text("proc-title-template", MODIFIABLE, "{title} {listen-addr} {server-mode}", "proc-title-template"),
  optionalText("bind-source-addr", undefined, MODIFIABLE),
  text("logfile", IMMUTABLE, ""),
  optionalText("masterauth", undefined, SENSITIVE),
  optionalText("requirepass", undefined, SENSITIVE),

  // Enums
  lacking(
    enumeration(
      "supervised",
      IMMUTABLE,
      [
        ["upstart", 3],
        ["systemd", 2],
        ["auto", 1],
        ["no", 0],
      ],
      "no",
    ),
    "supervision by upstart or systemd",
  ),
  enumeration(
    "syslog-facility",
    IMMUTABLE,
    [
      ["user", 8],
      ["local0", 128],
      ["local1", 136],
      ["local2", 144],
      ["local3", 152],
      ["local4", 160],
      ["local5", 168],
      ["local6", 176],
      ["local7", 184],
    ],
    "local0",
  ),
  enumeration(
    "repl-diskless-load",
    { denyLoading: true },
    [
      ["disabled", 0],
      ["on-empty-db", 1],
      ["swapdb", 2],
    ],
    "disabled",
  ),
  enumeration(
    "loglevel",
    MODIFIABLE,
    [
      ["debug", 0],
      ["verbose", 1],
      ["notice", 2],
      ["warning", 3],
    ],
    "notice",
  ),
  enumeration(
    "maxmemory-policy",
    MODIFIABLE,
    [
      ["volatile-lru", 0],
      ["volatile-lfu", 1],
      ["volatile-random", 2],
      ["volatile-ttl", 3],
      ["allkeys-lru", 4],
      ["allkeys-lfu", 5],
      ["allkeys-random", 6],
      ["noeviction", 7],
    ],
    "noeviction",
  ),
  enumeration(
    "appendfsync",
    MODIFIABLE,
    [
      ["everysec", 1],
      ["always", 2],
      ["no", 0],
    ],
    "everysec",
  ),
  enumeration(
    "oom-score-adj",
    MODIFIABLE,
    [
      ["no", 0],
      ["yes", 1],
      ["relative", 1],
      ["absolute", 2],
    ],
    "no",
  ),
  enumeration(
    "acl-pubsub-default",
    MODIFIABLE,
    [
      ["allchannels", 1],
      ["resetchannels", 0],
    ],
    "resetchannels",
  ),
  enumeration(
    "sanitize-dump-payload",
    MODIFIABLE,
    [
      ["no", 0],
      ["yes", 1],
      ["clients", 2],
    ],
    "no",
  ),
  enumeration("enable-protected-configs", IMMUTABLE, PROTECTED_ACTION, "no"),
  enumeration("enable-debug-command", IMMUTABLE, PROTECTED_ACTION, "no"),
  enumeration("enable-module-command", IMMUTABLE, PROTECTED_ACTION, "no"),
  enumeration(
    "cluster-preferred-endpoint-type",
    MODIFIABLE,
    [
      ["ip", 0],
      ["hostname", 1],
      ["unknown-endpoint", 2],
    ],
    "ip",
  ),
  enumeration(
    "propagation-error-behavior",
    MODIFIABLE,
    [
      ["ignore", 0],
      ["panic", 1],
      ["panic-on-replicas", 2],
    ],
    "ignore",
  ),
  { ...enumeration("shutdown-on-sigint", { multiArg: true }, SHUTDOWN_ON_SIGNAL, "default"), bitflags: true },
  { ...enumeration("shutdown-on-sigterm", { multiArg: true }, SHUTDOWN_ON_SIGNAL, "default"), bitflags: true },

  // int
  int("databases", undefined, IMMUTABLE, "int", 1n, INT_MAX, 16n),
  int("port", undefined, MODIFIABLE, "int", 0n, 65535n, 6379n),
  int("io-threads", undefined, IMMUTABLE, "int", 1n, 128n, 1n),
  int("auto-aof-rewrite-percentage", undefined, MODIFIABLE, "int", 0n, INT_MAX, 100n),
  int("cluster-replica-validity-factor", "cluster-slave-validity-factor", MODIFIABLE, "int", 0n, INT_MAX, 10n),
  int("list-max-listpack-size", "list-max-ziplist-size", MODIFIABLE, "int", INT_MIN, INT_MAX, -2n),
  int("tcp-keepalive", undefined, MODIFIABLE, "int", 0n, INT_MAX, 300n),
  int("cluster-migration-barrier", undefined, MODIFIABLE, "int", 0n, INT_MAX, 1n),
  int("active-defrag-cycle-min", undefined, MODIFIABLE, "int", 1n, 99n, 1n),
  int("active-defrag-cycle-max", undefined, MODIFIABLE, "int", 1n, 99n, 25n),
  int("active-defrag-threshold-lower", undefined, MODIFIABLE, "int", 0n, 1000n, 10n),
  int("active-defrag-threshold-upper", undefined, MODIFIABLE, "int", 0n, 1000n, 100n),
  int("lfu-log-factor", undefined, MODIFIABLE, "int", 0n, INT_MAX, 10n),
  int("lfu-decay-time", undefined, MODIFIABLE, "int", 0n, INT_MAX, 1n),
  int("replica-priority", "slave-priority", MODIFIABLE, "int", 0n, INT_MAX, 100n),
  int("repl-diskless-sync-delay", undefined, MODIFIABLE, "int", 0n, INT_MAX, 5n),
  int("maxmemory-samples", undefined, MODIFIABLE, "int", 1n, INT_MAX, 5n),
  int("maxmemory-eviction-tenacity", undefined, MODIFIABLE, "int", 0n, 100n, 10n),
  int("timeout", undefined, MODIFIABLE, "int", 0n, INT_MAX, 0n),
  int("replica-announce-port", "slave-announce-port", MODIFIABLE, "int", 0n, 65535n, 0n),
  int("tcp-backlog", undefined, IMMUTABLE, "int", 0n, INT_MAX, 511n),
  int("cluster-port", undefined, IMMUTABLE, "int", 0n, 65535n, 0n),
  int("cluster-announce-bus-port", undefined, MODIFIABLE, "int", 0n, 65535n, 0n),
  int("cluster-announce-port", undefined, MODIFIABLE, "int", 0n, 65535n, 0n),
  int("cluster-announce-tls-port", undefined, MODIFIABLE, "int", 0n, 65535n, 0n),
  int("repl-timeout", undefined, MODIFIABLE, "int", 1n, INT_MAX, 60n),
  int("repl-ping-replica-period", "repl-ping-slave-period", MODIFIABLE, "int", 1n, INT_MAX, 10n),
  int("list-compress-depth", undefined, MODIFIABLE, "int", 0n, INT_MAX, 0n),
  int("rdb-key-save-delay", undefined, HIDDEN, "int", INT_MIN, INT_MAX, 0n),
  int("key-load-delay", undefined, HIDDEN, "int", INT_MIN, INT_MAX, 0n),
  int("active-expire-effort", undefined, MODIFIABLE, "int", 1n, 10n, 1n),
  int("hz", undefined, MODIFIABLE, "int", 0n, INT_MAX, 10n),
  int("min-replicas-to-write", "min-slaves-to-write", MODIFIABLE, "int", 0n, INT_MAX, 0n),
  int("min-replicas-max-lag", "min-slaves-max-lag", MODIFIABLE, "int", 0n, INT_MAX, 10n),
  lacking(int("watchdog-period", undefined, HIDDEN, "int", 0n, INT_MAX, 0n), "the software watchdog"),
  int("shutdown-timeout", undefined, MODIFIABLE, "int", 0n, INT_MAX, 10n),
  int("repl-diskless-sync-max-replicas", undefined, MODIFIABLE, "int", 0n, INT_MAX, 0n),

  // unsigned int
  int("maxclients", undefined, MODIFIABLE, "uint", 1n, UINT_MAX, 10000n),
  { ...int("unixsocketperm", undefined, IMMUTABLE, "uint", 0n, 0o777n, 0n), octal: true },
  lacking(int("socket-mark-id", undefined, IMMUTABLE, "uint", 0n, UINT_MAX, 0n), "socket marks"),

  // unsigned long
  int("active-defrag-max-scan-fields", undefined, MODIFIABLE, "ulong", 1n, LONG_MAX, 1000n),
  int("slowlog-max-len", undefined, MODIFIABLE, "ulong", 0n, LONG_MAX, 128n),
  int("acllog-max-len", undefined, MODIFIABLE, "ulong", 0n, LONG_MAX, 128n),

  // long long
  int("busy-reply-threshold", "lua-time-limit", MODIFIABLE, "longlong", 0n, LONG_MAX, 5000n),
  int("cluster-node-timeout", undefined, MODIFIABLE, "longlong", 0n, LLONG_MAX, 15000n),
  int("slowlog-log-slower-than", undefined, MODIFIABLE, "longlong", -1n, LLONG_MAX, 10000n),
  int("latency-monitor-threshold", undefined, MODIFIABLE, "longlong", 0n, LLONG_MAX, 0n),
  memory("proto-max-bulk-len", undefined, MODIFIABLE, "longlong", 1024n * 1024n, LONG_MAX, 512n * 1024n * 1024n),
  int("stream-node-max-entries", undefined, MODIFIABLE, "longlong", 0n, LLONG_MAX, 100n),
  memory("repl-backlog-size", undefined, MODIFIABLE, "longlong", 1n, LLONG_MAX, 1024n * 1024n),

  // unsigned long long
  memory("maxmemory", undefined, MODIFIABLE, "ulonglong", 0n, ULLONG_MAX, 0n),
  memory("cluster-link-sendbuf-limit", undefined, MODIFIABLE, "ulonglong", 0n, ULLONG_MAX, 0n),

  // size_t
  int("hash-max-listpack-entries", "hash-max-ziplist-entries", MODIFIABLE, "size_t", 0n, LONG_MAX, 512n),
  int("set-max-intset-entries", undefined, MODIFIABLE, "size_t", 0n, LONG_MAX, 512n),
  int("zset-max-listpack-entries", "zset-max-ziplist-entries", MODIFIABLE, "size_t", 0n, LONG_MAX, 128n),
  memory("active-defrag-ignore-bytes", undefined, MODIFIABLE, "size_t", 1n, LLONG_MAX, 100n << 20n),
  memory("hash-max-listpack-value", "hash-max-ziplist-value", MODIFIABLE, "size_t", 0n, LONG_MAX, 64n),
  memory("stream-node-max-bytes", undefined, MODIFIABLE, "size_t", 0n, LONG_MAX, 4096n),
  memory("zset-max-listpack-value", "zset-max-ziplist-value", MODIFIABLE, "size_t", 0n, LONG_MAX, 64n),
  memory("hll-sparse-max-bytes", undefined, MODIFIABLE, "size_t", 0n, LONG_MAX, 3000n),
  int("tracking-table-max-keys", undefined, MODIFIABLE, "size_t", 0n, LONG_MAX, 1000000n),
  memory("client-query-buffer-limit", undefined, MODIFIABLE, "size_t", 1024n * 1024n, LONG_MAX, 1024n * 1024n * 1024n),

  // ssize_t
  { ...memory("maxmemory-clients", undefined, MODIFIABLE, "ssize_t", -100n, SSIZE_MAX, 0n), percent: true },

  // time_t / off_t
  int("repl-backlog-ttl", undefined, MODIFIABLE, "time_t", 0n, LONG_MAX, 3600n),
  memory("auto-aof-rewrite-min-size", undefined, MODIFIABLE, "off_t", 0n, LLONG_MAX, 64n * 1024n * 1024n),
  int("loading-process-events-interval-bytes", undefined, HIDDEN, "off_t", 1024n, INT_MAX, 2n * 1024n * 1024n),

  // TLS (listed so CONFIG answers as a TLS-enabled 7.0.15 build does; Bunker serves no TLS)
  lacking(int("tls-port", undefined, MODIFIABLE, "int", 0n, 65535n, 0n), "TLS"),
  int("tls-session-cache-size", undefined, MODIFIABLE, "int", 0n, INT_MAX, 20480n),
  int("tls-session-cache-timeout", undefined, MODIFIABLE, "int", 0n, INT_MAX, 300n),
  lacking(bool("tls-cluster", undefined, MODIFIABLE, false), "TLS"),
  lacking(bool("tls-replication", undefined, MODIFIABLE, false), "TLS"),
  enumeration(
    "tls-auth-clients",
    MODIFIABLE,
    [
      ["no", 0],
      ["yes", 1],
      ["optional", 2],
    ],
    "yes",
  ),
  bool("tls-prefer-server-ciphers", undefined, MODIFIABLE, false),
  bool("tls-session-caching", undefined, MODIFIABLE, true),
  optionalText("tls-cert-file", undefined, MODIFIABLE),
  optionalText("tls-key-file", undefined, MODIFIABLE),
  optionalText("tls-key-file-pass", undefined, MODIFIABLE),
  optionalText("tls-client-cert-file", undefined, MODIFIABLE),
  optionalText("tls-client-key-file", undefined, MODIFIABLE),
  optionalText("tls-client-key-file-pass", undefined, MODIFIABLE),
  optionalText("tls-dh-params-file", undefined, MODIFIABLE),
  optionalText("tls-ca-cert-file", undefined, MODIFIABLE),
  optionalText("tls-ca-cert-dir", undefined, MODIFIABLE),
  optionalText("tls-protocols", undefined, MODIFIABLE),
  optionalText("tls-ciphers", undefined, MODIFIABLE),
  optionalText("tls-ciphersuites", undefined, MODIFIABLE),

  // Special formats (parsed and printed by dedicated code in config.ts)
  special("dir", undefined, { protected: true, denyLoading: true }, ""),
  special("save", undefined, { multiArg: true }, "3600 1 300 100 60 10000"),
  special(
    "client-output-buffer-limit",
    undefined,
    { multiArg: true },
    "normal 0 0 0 slave 268435456 67108864 60 pubsub 33554432 8388608 60",
  ),
  special("oom-score-adj-values", undefined, { multiArg: true }, "0 200 800"),
  special("notify-keyspace-events", undefined, MODIFIABLE, ""),
  special("bind", undefined, { multiArg: true }, "* -::*"),
  special("replicaof", "slaveof", { immutable: true, multiArg: true }, ""),
  special("latency-tracking-info-percentiles", undefined, { multiArg: true }, "50 99 99.9"),
];

/**
 * Directives the config file accepts and silently ignores, with their accepted
 * argument count (directive included), as Redis 7.0 does for removed parameters.
 */
export const DEPRECATED_DIRECTIVES: ReadonlyArray<{ readonly name: string; readonly minArgs: number; readonly maxArgs: number }> = [
  { name: "list-max-ziplist-entries", minArgs: 2, maxArgs: 2 },
  { name: "list-max-ziplist-value", minArgs: 2, maxArgs: 2 },
  { name: "lua-replicate-commands", minArgs: 2, maxArgs: 2 },
];
