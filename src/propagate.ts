// Propagation: the effects of write commands, in Redis 7.0's replicated form, handed
// to whoever keeps or forwards them (the AOF, replicas, tests). Redis's propagate(),
// alsoPropagate() and propagatePendingCommands() (server.c).
//
// call() records what a command changed as commands that replay it exactly: the
// command itself when it changed the dataset (server.dirty moved), or what the
// handler put in its place (a SET ... EX becomes SET ... PXAT, SPOP becomes SREM,
// a lazily expired key becomes DEL). Effects accumulate while a command runs
// (`alsoPropagate`) and are handed to the feeds when the outermost call() ends
// (`propagatePendingCommands`), wrapped in MULTI/EXEC when one execution unit (EXEC,
// a served blocked client, a script) produced several, so that a replica or an AOF
// replay applies them atomically. With no feed attached nothing is recorded, as
// Redis records nothing without an AOF or a replica (shouldPropagate).

/** Where an effect goes (Redis's PROPAGATE_AOF / PROPAGATE_REPL; a script's redis.set_repl narrows it). */
export const PROPAGATE_AOF = 1;
export const PROPAGATE_REPL = 2;
export const PROPAGATE_ALL = PROPAGATE_AOF | PROPAGATE_REPL;

/** A receiver of the effect stream: a database index and a command, in order. */
export interface EffectFeed {
  /**
   * Which effects it takes (PROPAGATE_AOF for the AOF, PROPAGATE_REPL for replicas);
   * all when absent. MULTI and EXEC go to every feed, as in Redis.
   */
  readonly targets?: number;
  /**
   * One propagated command. `argv` may hold views of buffers that are reused after this
   * call returns: a feed that keeps the arguments copies them (or serialises them now).
   * MULTI and EXEC come as commands of their own; SELECT does not (see SelectTracker).
   */
  feed(dbIndex: number, argv: readonly Uint8Array[]): void;
}

const encoder = new TextEncoder();
const word = (text: string): Uint8Array => encoder.encode(text);
/**
 * Redis's shared objects (createSharedObjects) for the commands and words propagation
 * synthesises, spelled as Redis spells them: the effect stream is byte-compared with
 * Redis's, and "left"/"right" really are lower case there.
 */
export const SHARED = {
  multi: word("MULTI"),
  exec: word("EXEC"),
  select: word("SELECT"),
  del: word("DEL"),
  unlink: word("UNLINK"),
  set: word("SET"),
  pxat: word("PXAT"),
  keepttl: word("KEEPTTL"),
  absttl: word("ABSTTL"),
  pexpireat: word("PEXPIREAT"),
  persist: word("PERSIST"),
  lpop: word("LPOP"),
  rpop: word("RPOP"),
  lmove: word("LMOVE"),
  rpoplpush: word("RPOPLPUSH"),
  left: word("left"),
  right: word("right"),
  /** GEOADD runs and propagates a ZADD it names in lower case. */
  zadd: word("zadd"),
  zpopmin: word("ZPOPMIN"),
  zpopmax: word("ZPOPMAX"),
  hset: word("HSET"),
  srem: word("SREM"),
  xgroup: word("XGROUP"),
  xclaim: word("XCLAIM"),
  setid: word("SETID"),
  createconsumer: word("CREATECONSUMER"),
  time: word("TIME"),
  retrycount: word("RETRYCOUNT"),
  force: word("FORCE"),
  justid: word("JUSTID"),
  lastid: word("LASTID"),
  entriesread: word("ENTRIESREAD"),
  equals: word("="),
} as const;

/** The commands that wrap an execution unit's effects (feeds never modify argv). */
const MULTI: readonly Uint8Array[] = [SHARED.multi];
const EXEC: readonly Uint8Array[] = [SHARED.exec];

export class Propagation {
  private readonly feeds: EffectFeed[] = [];
  /**
   * server.also_propagate: effects of the running execution unit, as two parallel
   * arrays (no object per effect: with an AOF every write command records one).
   */
  private pendingDbs: number[] = [];
  private pendingArgvs: Uint8Array[][] = [];
  private pendingTargets: number[] = [];
  /**
   * server.propagate_no_multi: set while effects that are independent of each other
   * accumulate (the active expire cycle), so they are not wrapped in a transaction.
   */
  noMulti = false;

  /**
   * Whether anything listens (Redis's shouldPropagate): no feed, no recording; nor while
   * the server loads, whose commands replay effects that were propagated already. A
   * field rather than a getter: call() reads it for every command.
   */
  active = false;
  /** server.loading, as set with setLoading. */
  private loading = false;
  /** The targets some feed takes (the union of the feeds' targets). */
  private feedTargets = 0;

  addFeed(feed: EffectFeed): void {
    this.feeds.push(feed);
    this.feedTargets |= feed.targets ?? PROPAGATE_ALL;
    this.active = !this.loading;
  }

  removeFeed(feed: EffectFeed): void {
    const index = this.feeds.indexOf(feed);
    if (index >= 0) this.feeds.splice(index, 1);
    this.feedTargets = 0;
    for (const other of this.feeds) this.feedTargets |= other.targets ?? PROPAGATE_ALL;
    this.active = this.feeds.length > 0 && !this.loading;
  }

  /** Nothing is propagated while the server loads (Server.setLoading). */
  setLoading(loading: boolean): void {
    this.loading = loading;
    this.active = this.feeds.length > 0 && !loading;
  }

  /**
   * alsoPropagate: appends an effect of the running execution unit. An effect for
   * targets no feed takes is not recorded at all (shouldPropagate(target)): a script's
   * REPL_AOF write with only replicas listening, or REPL_REPLICA with only the AOF, does
   * not count toward the unit's MULTI/EXEC wrapping, as in Redis.
   */
  alsoPropagate(dbIndex: number, argv: Uint8Array[], targets = PROPAGATE_ALL): void {
    if (!this.active || (targets & this.feedTargets) === 0) return;
    this.pendingDbs.push(dbIndex);
    this.pendingArgvs.push(argv);
    this.pendingTargets.push(targets);
  }

  /**
   * propagatePendingCommands: hands the accumulated effects to every feed, wrapped in
   * MULTI/EXEC when there are several (unless `noMulti` or `unwrapped`), then forgets them.
   * MULTI takes the first effect's database, so a feed selects it before the MULTI;
   * EXEC takes the last one's, so no SELECT comes between the last effect and EXEC.
   */
  propagatePendingCommands(unwrapped = false): void {
    const count = this.pendingArgvs.length;
    if (count === 0) return;
    // The effects are taken out before any feed runs, so whatever a feed causes starts a
    // unit of its own. The usual unit, one command, reuses the arrays.
    if (count === 1) {
      const dbIndex = this.pendingDbs[0]!;
      const argv = this.pendingArgvs[0]!;
      const targets = this.pendingTargets[0]!;
      this.pendingDbs.length = 0;
      this.pendingArgvs.length = 0;
      this.pendingTargets.length = 0;
      this.emit(dbIndex, argv, targets);
      return;
    }
    const dbs = this.pendingDbs;
    const argvs = this.pendingArgvs;
    const targets = this.pendingTargets;
    this.pendingDbs = [];
    this.pendingArgvs = [];
    this.pendingTargets = [];
    const transaction = !this.noMulti && !unwrapped;
    if (transaction) this.emit(dbs[0]!, MULTI, PROPAGATE_ALL);
    for (let i = 0; i < count; i++) this.emit(dbs[i]!, argvs[i]!, targets[i]!);
    if (transaction) this.emit(dbs[count - 1]!, EXEC, PROPAGATE_ALL);
  }

  private emit(dbIndex: number, argv: readonly Uint8Array[], targets: number): void {
    const feeds = this.feeds;
    for (let i = 0; i < feeds.length; i++) {
      const feed = feeds[i]!;
      if (targets === PROPAGATE_ALL || ((feed.targets ?? PROPAGATE_ALL) & targets) !== 0) feed.feed(dbIndex, argv);
    }
  }
}

/**
 * The SELECT bookkeeping of one stream (Redis keeps one for the replication stream,
 * `slaveseldb`, and one for the AOF, `aof_selected_db`): a feed asks, for each
 * effect, whether a SELECT must precede it.
 */
export class SelectTracker {
  /** -1: nothing selected yet, so the first effect is preceded by a SELECT. */
  selected = -1;

  /** The SELECT command to write before an effect in `dbIndex`, or null when none is needed. */
  selectFor(dbIndex: number): Uint8Array[] | null {
    if (dbIndex === this.selected) return null;
    this.selected = dbIndex;
    return [SHARED.select, word(String(dbIndex))];
  }

  /** Forget the selection (a new replica, a new AOF file): the next effect selects again. */
  reset(): void {
    this.selected = -1;
  }
}
