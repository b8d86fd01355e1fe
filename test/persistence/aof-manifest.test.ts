// The AOF manifest (src/persistence/aof/manifest.ts) against redis-server 7.0.15: every
// parse error with Redis's text at Redis's line for the same bytes, the names and
// history order its rewrites leave, the quoting of odd names, the history removal, and
// the writing of the manifest.

import { describe, expect, test } from "bun:test";
import { existsSync, mkdirSync, readdirSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { Config } from "../../src/config.ts";
import {
  AOF_NOT_EXIST,
  AOF_OK,
  AofManifest,
  aofDelHistoryFiles,
  aofFileExist,
  aofPath,
  getAofManifestFileName,
  dirCreateIfMissing,
  getAofManifestAsString,
  getAppendOnlyFileSize,
  getBaseAndIncrAppendOnlyFilesNum,
  getBaseAndIncrAppendOnlyFilesSize,
  getLastIncrAofName,
  getNewBaseFileNameAndMarkPreAsHistory,
  getNewIncrAofName,
  getTempAofManifestFileName,
  getTempIncrAofName,
  isAofManifestError,
  markRewrittenIncrAofAsHistory,
  parseAofManifest,
  persistAofManifest,
  type AofContext,
} from "../../src/persistence/aof/manifest.ts";
import { RawClient, type RunningServer } from "../helpers/server.ts";
import { waitFor } from "../helpers/wait.ts";
import { bunkerLoadAof, captureLog, copyDir, listing, logMessages, readManifest, resp, startRedisOnAof, tempDir, useCleanup, withRedis, writeAofDir } from "../helpers/aof.ts";

const { track, keep } = useCleanup();

function context(args: string[] = [], dir = track(tempDir())): AofContext & { dir: string } {
  return { config: Config.fromArgs(args, process.cwd()).config, dir };
}

function manifestOf(text: string | Uint8Array): AofManifest {
  const parsed = parseAofManifest(typeof text === "string" ? Buffer.from(text, "latin1") : text);
  if (isAofManifestError(parsed)) throw new Error(`unexpected manifest error: ${parsed.message}`);
  return parsed;
}

/** The fields of a manifest, for comparisons. */
function fieldsOf(am: AofManifest): object {
  return { base: am.base, incrs: am.incrs, history: am.history, currBaseFileSeq: am.currBaseFileSeq, currIncrFileSeq: am.currIncrFileSeq, dirty: am.dirty };
}

// ---- parsing: every error as Redis reports it -------------------------------------------------------

interface ManifestCase {
  name: string;
  manifest: string | Uint8Array;
  /** Files in appendonlydir besides the manifest. */
  files?: Record<string, Uint8Array | string>;
}

const line1023 = `file ${"a".repeat(1023 - 18)} seq 1 type b`;
const MANIFEST_CASES: ManifestCase[] = [
  { name: "an empty file", manifest: "" },
  { name: "a last line without its newline", manifest: "file appendonly.aof.1.base.rdb seq 1 type b" },
  { name: "an empty line", manifest: "\n" },
  { name: "a line of blanks", manifest: "  \t \r\n" },
  { name: "fewer than six words", manifest: "file a seq 1\n" },
  { name: "an odd number of words", manifest: "file a seq 1 type b x\n" },
  { name: "unbalanced quotes", manifest: 'file "a seq 1 type b\n' },
  { name: "a closing quote followed by a character", manifest: 'file "a"x seq 1 type b\n' },
  { name: "no file key", manifest: "name a seq 1 type b\n" },
  { name: "seq 0", manifest: "file a seq 0 type b\n" },
  { name: "a seq that is not a number", manifest: "file a seq x type b\n" },
  { name: "an empty type", manifest: 'file a seq 1 type ""\n' },
  { name: "an unknown type", manifest: "file a seq 1 type x\n" },
  { name: "a name that is a path", manifest: "file dir/a seq 1 type b\n" },
  { name: "a name with a backslash", manifest: "file a\\b seq 1 type b\n" },
  { name: "a path found before a missing seq", manifest: "file a/b seq 0 type b\n" },
  { name: "two base files", manifest: "file a seq 1 type b\nfile b seq 2 type b\n" },
  { name: "INCR sequence numbers going down", manifest: "file a seq 2 type i\nfile b seq 1 type i\n" },
  { name: "two INCR files with one sequence number", manifest: "file a seq 2 type i\n# between\nfile b seq 2 type i\n" },
  { name: "a line of 1024 bytes", manifest: `file ${"a".repeat(1024 - 18)} seq 1 type b\n` },
  { name: "a line of 1023 bytes (accepted; its file is missing)", manifest: `${line1023}\n` },
  { name: "a comment longer than a read: its rest is a line", manifest: `#${"c".repeat(1030)}\nfile a seq 1 type b\n` },
  { name: "a NUL byte in a line", manifest: Buffer.from("file a seq 1 type b\0x\n", "latin1") },
  { name: "a name cut at an escaped NUL", manifest: 'file "a\\x00b" seq 1 type b\n' },
  { name: "an empty name (the AOF directory itself)", manifest: 'file "" seq 1 type b\n' },
  { name: "only comments: a fresh start", manifest: "# nothing here\n#\n" },
  {
    name: "keys in any order and case, a type word, extra keys, a quoted name",
    manifest: 'TYPE incr SEQ 1 Foo bar FILE "appendonly.aof.1.incr.aof"\n',
    files: { "appendonly.aof.1.incr.aof": resp("SET", "k", "v") },
  },
  {
    name: "history and comments between the lines",
    manifest: "file b.aof seq 2 type b\n#TS:1\nfile h.aof seq 1 type h\nfile i.aof seq 3 type i\n",
    files: { "b.aof": resp("SET", "a", "1"), "i.aof": resp("SET", "b", "2") },
  },
];

describe("parsing the manifest", () => {
  for (const c of MANIFEST_CASES) {
    withRedis(`${c.name}: what redis-server logs and whether it starts`, async () => {
      const dir = track(writeAofDir(c.files ?? {}, c.manifest));
      const redis = await startRedisOnAof(track(copyDir(dir)));
      if (redis.server !== null) keep(redis.server);
      const bunker = await bunkerLoadAof(dir);
      expect(bunker.messages).toEqual(redis.messages);
      expect(bunker.exitCode).toBe(redis.exitCode);
      await redis.server?.stop();
    });
  }

  test("the error carries the line Redis shows and its number (counted in reads)", () => {
    const error = parseAofManifest(Buffer.from(`# c\n#${"x".repeat(1100)}\nfile a seq 1 type q\n`, "latin1"));
    expect(isAofManifestError(error) && error).toEqual({ message: "Invalid AOF manifest file format", line: "x".repeat(77), lineNumber: 3 });
    const typeError = parseAofManifest(Buffer.from("# c\nfile a seq 1 type q\n"));
    expect(isAofManifestError(typeError) && typeError).toEqual({ message: "Unknown AOF file type", line: "file a seq 1 type q", lineNumber: 2 });
  });

  test("base, history and INCR files, and the last sequence numbers", () => {
    const am = manifestOf("file b seq 4 type b\nfile h1 seq 2 type h\nfile h2 seq 3 type h\nfile i1 seq 5 type i\nfile i2 seq 7 type i\n");
    expect(fieldsOf(am)).toEqual({
      base: { fileName: "b", fileSeq: 4, fileType: "b" },
      incrs: [
        { fileName: "i1", fileSeq: 5, fileType: "i" },
        { fileName: "i2", fileSeq: 7, fileType: "i" },
      ],
      history: [
        { fileName: "h1", fileSeq: 2, fileType: "h" },
        { fileName: "h2", fileSeq: 3, fileType: "h" },
      ],
      currBaseFileSeq: 4,
      currIncrFileSeq: 7,
      dirty: false,
    });
  });
});

// ---- formatting -------------------------------------------------------------------------------

// (No backslash: Redis refuses a name with one as a path, in the manifest as in appendfilename.)
const ODD_NAMES = ["a b.aof", 'q"uote.aof', "bell\x07\x08.aof", "new\nline.aof", "tab\t\r.aof", "\xff\x01\x7f.aof", "it's.aof", "plain.aof"];

/**
 * redis-server's first start with appendonly yes and a config file of `configText` in a
 * new dir, and the context of a Bunker config read from the same file.
 */
async function firstStartWithConfig(configText: string): Promise<{ dir: string; configFile: string; ctx: AofContext & { dir: string } }> {
  const dir = track(tempDir());
  const configFile = join(dir, "redis.conf");
  writeFileSync(configFile, configText);
  const redis = await startRedisOnAof(dir, [], configFile);
  expect(redis.exitCode).toBeNull();
  await redis.server!.stop();
  return { dir, configFile, ctx: { config: Config.fromArgs([configFile], process.cwd()).config, dir } };
}

describe("formatting the manifest", () => {
  test("base, then history, then INCR files; odd names quoted; what is written parses back the same", () => {
    const am = new AofManifest();
    am.base = { fileName: ODD_NAMES[0]!, fileSeq: 3, fileType: "b" };
    am.history = ODD_NAMES.slice(1, 4).map((fileName, i) => ({ fileName, fileSeq: i + 1, fileType: "h" as const }));
    am.incrs = ODD_NAMES.slice(4).map((fileName, i) => ({ fileName, fileSeq: i + 10, fileType: "i" as const }));
    am.currBaseFileSeq = 3;
    am.currIncrFileSeq = 10 + ODD_NAMES.length - 5;
    const text = getAofManifestAsString(am);
    expect(text).toBe(
      [
        'file "a b.aof" seq 3 type b',
        'file "q\\"uote.aof" seq 1 type h',
        'file "bell\\a\\b.aof" seq 2 type h',
        'file "new\\nline.aof" seq 3 type h',
        'file "tab\\t\\r.aof" seq 10 type i',
        'file "\\xff\\x01\\x7f.aof" seq 11 type i',
        'file "it\'s.aof" seq 12 type i',
        "file plain.aof seq 13 type i",
        "",
      ].join("\n"),
    );
    expect(fieldsOf(manifestOf(text))).toEqual(fieldsOf(am));
  });

  withRedis("an odd appendfilename: the names and the manifest are the ones redis-server writes", async () => {
    // One config file for both servers: a space, a quote, a tab and a non-ASCII byte.
    const { dir, ctx } = await firstStartWithConfig('appendfilename "odd \\"name\\t \\xff.aof"\n');
    expect(ctx.config.getString("appendfilename")).toBe('odd "name\t \xff.aof');
    // A first start: a base file, then an INCR file.
    const am = new AofManifest();
    const base = getNewBaseFileNameAndMarkPreAsHistory(ctx, am);
    const incr = getLastIncrAofName(ctx, am);
    const written = readFileSync(aofPath(ctx, "appendonlydir", getAofManifestFileName(ctx)), "latin1");
    expect(getAofManifestAsString(am)).toBe(written);
    expect(written).toBe('file "odd \\"name\\t \\xff.aof.1.base.rdb" seq 1 type b\nfile "odd \\"name\\t \\xff.aof.1.incr.aof" seq 1 type i\n');
    const files = readdirSync(join(dir, "appendonlydir"), { encoding: "buffer" }).map((name) => name.toString("latin1"));
    expect(files.sort()).toEqual([base, incr, getAofManifestFileName(ctx)].sort());
  });

  withRedis("a name with a single quote: Redis 7.0.15 cannot read the manifest it writes, the one Bunker writes it reads", async () => {
    const { dir, ctx, configFile } = await firstStartWithConfig("appendfilename \"it's.aof\"\n");
    const redisManifest = readManifest(dir, "appendonlydir", "it's.aof");
    expect(redisManifest).toBe("file it's.aof.1.base.rdb seq 1 type b\nfile it's.aof.1.incr.aof seq 1 type i\n");
    const again = await startRedisOnAof(dir, [], configFile);
    expect(again.exitCode).toBe(1);
    expect(again.messages).toContain("Invalid AOF manifest file format\n");
    // Bunker quotes the name; redis-server then starts from that manifest.
    const am = manifestOf("file \"it's.aof.1.base.rdb\" seq 1 type b\nfile \"it's.aof.1.incr.aof\" seq 1 type i\n");
    am.dirty = true;
    expect(persistAofManifest(ctx, am)).toBe(true);
    expect(readManifest(dir, "appendonlydir", "it's.aof")).toBe(getAofManifestAsString(am));
    expect(getAofManifestAsString(am)).toContain("file \"it's.aof.1.base.rdb\" seq 1 type b\n");
    const third = await startRedisOnAof(dir, [], configFile);
    expect(third.exitCode).toBeNull();
    await third.server!.stop();
  });
});

// ---- names, rewrites and history ----------------------------------------------------------------

/** Runs BGREWRITEAOF on a running redis-server and waits for its done-handler. */
async function rewriteOnRedis(server: RunningServer, client: RawClient): Promise<void> {
  const finished = () => server.output().split("Background AOF rewrite finished successfully").length - 1;
  const before = finished();
  expect(await client.call("BGREWRITEAOF")).toBe("Background append only file rewriting started");
  await waitFor(() => finished() > before, { what: "the AOF rewrite to finish" });
}

/**
 * What the AOF core does to the manifest, with this module's functions: a start on an
 * empty dataset (aofOpenIfNeededOnServerStart), then a rewrite (openNewIncrAofForAppend at
 * its start, backgroundRewriteDoneHandler at its end).
 */
function simulateStart(ctx: AofContext, am: AofManifest): void {
  getNewBaseFileNameAndMarkPreAsHistory(ctx, am);
  getLastIncrAofName(ctx, am);
}

function simulateRewrite(ctx: AofContext, am: AofManifest): string {
  getNewIncrAofName(ctx, am);
  const base = getNewBaseFileNameAndMarkPreAsHistory(ctx, am);
  markRewrittenIncrAofAsHistory(am, true);
  return base;
}

describe("names, rewrites and history files", () => {
  withRedis("two rewrites with aof-disable-auto-gc (the second without the RDB preamble) leave the manifest redis-server leaves", async () => {
    const dir = track(tempDir());
    const redis = await startRedisOnAof(dir, ["--aof-disable-auto-gc", "yes"]);
    const server = redis.server!;
    keep(server);
    const client = await RawClient.connect(server.port);
    await client.call("SET", "k", "v");
    await rewriteOnRedis(server, client);
    await client.call("CONFIG", "SET", "aof-use-rdb-preamble", "no");
    await rewriteOnRedis(server, client);
    client.close();

    const ctx = context(["--aof-disable-auto-gc", "yes"]);
    const am = new AofManifest();
    simulateStart(ctx, am);
    expect(simulateRewrite(ctx, am)).toBe("appendonly.aof.2.base.rdb");
    expect(ctx.config.set([["aof-use-rdb-preamble", "no"]])).toBeNull();
    expect(simulateRewrite(ctx, am)).toBe("appendonly.aof.3.base.aof");
    expect(getAofManifestAsString(am)).toBe(readManifest(dir));
    expect(getAofManifestAsString(am)).toBe(
      [
        "file appendonly.aof.3.base.aof seq 3 type b",
        "file appendonly.aof.2.incr.aof seq 2 type h",
        "file appendonly.aof.2.base.rdb seq 2 type h",
        "file appendonly.aof.1.incr.aof seq 1 type h",
        "file appendonly.aof.1.base.rdb seq 1 type h",
        "file appendonly.aof.3.incr.aof seq 3 type i",
        "",
      ].join("\n"),
    );
    // With the history kept on disk, the files are the ones the manifest names.
    expect(listing(dir).map((line) => line.split(" ")[0]).filter((name) => name.startsWith("appendonlydir/"))).toEqual(
      [...am.history, am.base!, ...am.incrs].map((info) => `appendonlydir/${info.fileName}`).concat("appendonlydir/appendonly.aof.manifest").sort(),
    );
  });

  withRedis("aofDelHistoryFiles removes the history files as redis-server does after a rewrite, and persists the manifest without them", async () => {
    const dir = track(tempDir());
    const redis = await startRedisOnAof(dir);
    const server = redis.server!;
    keep(server);
    const client = await RawClient.connect(server.port);
    await rewriteOnRedis(server, client);
    client.close();
    const redisRemovals = logMessages(server.output()).filter((m) => m.startsWith("Removing the history file"));

    const ctx = context();
    mkdirSync(join(ctx.dir, "appendonlydir"));
    const am = new AofManifest();
    simulateStart(ctx, am);
    simulateRewrite(ctx, am);
    for (const info of [am.base!, ...am.incrs, ...am.history]) writeFileSync(join(ctx.dir, "appendonlydir", info.fileName), "x");
    const { result: ok, messages } = await captureLog(() => aofDelHistoryFiles(ctx, am));
    expect(ok).toBe(true);
    expect(messages).toEqual(redisRemovals);
    expect(messages).toEqual(["Removing the history file appendonly.aof.1.incr.aof in the background", "Removing the history file appendonly.aof.1.base.rdb in the background"]);
    expect(am.history).toEqual([]);
    expect(am.dirty).toBe(false);
    expect(readManifest(ctx.dir)).toBe(readManifest(dir));
    expect(listing(ctx.dir).map((line) => line.split(" ")[0])).toEqual(listing(dir).map((line) => line.split(" ")[0]));
  });

  test("aof-disable-auto-gc keeps the history files and the manifest as they are", async () => {
    const ctx = context(["--aof-disable-auto-gc", "yes"]);
    mkdirSync(join(ctx.dir, "appendonlydir"));
    const am = new AofManifest();
    simulateStart(ctx, am);
    simulateRewrite(ctx, am);
    for (const info of am.history) writeFileSync(join(ctx.dir, "appendonlydir", info.fileName), "x");
    const { result: ok, messages } = await captureLog(() => aofDelHistoryFiles(ctx, am));
    expect(ok).toBe(true);
    expect(messages).toEqual([]);
    expect(am.history.length).toBe(2);
    for (const info of am.history) expect(aofFileExist(ctx, info.fileName)).toBe(true);
    expect(existsSync(join(ctx.dir, "appendonlydir", "appendonly.aof.manifest"))).toBe(false);
  });

  test("new names: base by aof-use-rdb-preamble, INCR, temp INCR, temp manifest; the last INCR file is made when there is none", () => {
    const ctx = context(["--appendfilename", "log.aof"]);
    const am = new AofManifest();
    expect(getLastIncrAofName(ctx, am)).toBe("log.aof.1.incr.aof");
    expect(am.incrs).toEqual([{ fileName: "log.aof.1.incr.aof", fileSeq: 1, fileType: "i" }]);
    expect(getLastIncrAofName(ctx, am)).toBe("log.aof.1.incr.aof");
    expect(getNewIncrAofName(ctx, am)).toBe("log.aof.2.incr.aof");
    expect(getNewBaseFileNameAndMarkPreAsHistory(ctx, am)).toBe("log.aof.1.base.rdb");
    expect(ctx.config.set([["aof-use-rdb-preamble", "no"]])).toBeNull();
    expect(getNewBaseFileNameAndMarkPreAsHistory(ctx, am)).toBe("log.aof.2.base.aof");
    expect(am.history).toEqual([{ fileName: "log.aof.1.base.rdb", fileSeq: 1, fileType: "h" }]);
    expect(getTempIncrAofName(ctx)).toBe("temp-log.aof.incr");
    expect(getTempAofManifestFileName(ctx)).toBe("temp-log.aof.manifest");
    expect(getAofManifestFileName(ctx)).toBe("log.aof.manifest");
    expect(am.dirty).toBe(true);
  });

  test("markRewrittenIncrAofAsHistory: with AOF off every INCR file becomes history, newest first", () => {
    const ctx = context();
    const am = new AofManifest();
    for (let i = 0; i < 3; i++) getNewIncrAofName(ctx, am);
    am.dirty = false;
    markRewrittenIncrAofAsHistory(am, false);
    expect(am.incrs).toEqual([]);
    expect(am.history.map((info) => `${info.fileName} ${info.fileType}`)).toEqual([
      "appendonly.aof.3.incr.aof h",
      "appendonly.aof.2.incr.aof h",
      "appendonly.aof.1.incr.aof h",
    ]);
    expect(am.dirty).toBe(true);
  });

  test("dup() is a deep copy: changing it leaves the original as it was", () => {
    const ctx = context();
    const am = new AofManifest();
    simulateStart(ctx, am);
    am.dirty = false;
    const before = getAofManifestAsString(am);
    const copy = am.dup();
    simulateRewrite(ctx, copy);
    copy.incrs[0]!.fileName = "changed";
    expect(getAofManifestAsString(am)).toBe(before);
    expect(fieldsOf(am)).toEqual({ ...fieldsOf(manifestOf(before)), dirty: false });
    expect(am.currBaseFileSeq).toBe(1);
    expect(copy.currBaseFileSeq).toBe(2);
  });
});

// ---- writing, sizes, directories ---------------------------------------------------------------------

describe("writing the manifest", () => {
  test("persistAofManifest writes through a temp file only when the manifest changed", () => {
    const ctx = context();
    mkdirSync(join(ctx.dir, "appendonlydir"));
    const am = new AofManifest();
    simulateStart(ctx, am);
    expect(persistAofManifest(ctx, am)).toBe(true);
    expect(am.dirty).toBe(false);
    expect(readManifest(ctx.dir)).toBe("file appendonly.aof.1.base.rdb seq 1 type b\nfile appendonly.aof.1.incr.aof seq 1 type i\n");
    expect(listing(ctx.dir)).toEqual(["appendonlydir/appendonly.aof.manifest 88"]);
    // Not dirty: nothing is written (the removed file stays removed).
    rmSync(join(ctx.dir, "appendonlydir", "appendonly.aof.manifest"));
    expect(persistAofManifest(ctx, am)).toBe(true);
    expect(listing(ctx.dir)).toEqual([]);
  });

  test("failures: Redis's log lines, false, the manifest stays dirty", async () => {
    const ctx = context();
    const am = new AofManifest();
    simulateStart(ctx, am);
    const missingDir = await captureLog(() => persistAofManifest(ctx, am));
    expect(missingDir).toEqual({ result: false, messages: ["Can't open the AOF manifest file temp-appendonly.aof.manifest: No such file or directory"] });
    expect(am.dirty).toBe(true);
    // A directory (not empty) in the manifest's place: the rename fails.
    mkdirSync(join(ctx.dir, "appendonlydir", "appendonly.aof.manifest", "x"), { recursive: true });
    const renameFails = await captureLog(() => persistAofManifest(ctx, am));
    expect(renameFails).toEqual({
      result: false,
      messages: ["Error trying to rename the temporary AOF manifest file temp-appendonly.aof.manifest into appendonly.aof.manifest: Is a directory"],
    });
    expect(am.dirty).toBe(true);
  });
});

describe("sizes and directories", () => {
  test("file sizes; a missing file is logged as Redis logs it and stops the sum", async () => {
    const ctx = context();
    mkdirSync(join(ctx.dir, "appendonlydir"));
    const am = manifestOf("file b seq 1 type b\nfile h seq 1 type h\nfile i1 seq 1 type i\nfile i2 seq 2 type i\n");
    writeFileSync(join(ctx.dir, "appendonlydir", "b"), "x".repeat(10));
    writeFileSync(join(ctx.dir, "appendonlydir", "i1"), "x".repeat(100));
    writeFileSync(join(ctx.dir, "appendonlydir", "i2"), "x".repeat(1000));
    expect(getBaseAndIncrAppendOnlyFilesNum(am)).toBe(3);
    expect(getBaseAndIncrAppendOnlyFilesSize(ctx, am)).toEqual({ size: 1110, status: AOF_OK });
    expect(getAppendOnlyFileSize(ctx, "i1")).toEqual({ size: 100, status: AOF_OK });
    rmSync(join(ctx.dir, "appendonlydir", "i1"));
    const missing = await captureLog(() => getBaseAndIncrAppendOnlyFilesSize(ctx, am));
    expect(missing).toEqual({ result: { size: 0, status: AOF_NOT_EXIST }, messages: ["Unable to obtain the AOF file i1 length. stat: No such file or directory"] });
  });

  test("aofFileExist is for regular files; dirCreateIfMissing creates, accepts a directory, refuses a file", () => {
    const ctx = context();
    const aofDir = join(ctx.dir, "appendonlydir");
    expect(dirCreateIfMissing(aofDir)).toBeNull();
    expect(dirCreateIfMissing(aofDir)).toBeNull();
    mkdirSync(join(aofDir, "sub"));
    expect(aofFileExist(ctx, "sub")).toBe(false);
    writeFileSync(join(aofDir, "f"), "");
    expect(aofFileExist(ctx, "f")).toBe(true);
    expect(dirCreateIfMissing(join(aofDir, "f"))).toBe("Not a directory");
    expect(dirCreateIfMissing(join(aofDir, "none", "deeper"))).toBe("No such file or directory");
  });
});
