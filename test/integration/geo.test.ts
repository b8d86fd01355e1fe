// GEO commands against redis-server 7.0.15, reply bytes compared: GEOADD/GEOPOS/GEODIST/
// GEOHASH, and the searches (GEORADIUS[_RO], GEORADIUSBYMEMBER[_RO], GEOSEARCH,
// GEOSEARCHSTORE) over seeded random points and queries with every option, in RESP2
// and RESP3; the edges of the map (poles, the antimeridian), radius 0 and huge radii,
// members at the same place (equal scores, where COUNT's partial sort decides the
// order), argument errors, wrong types and missing keys; STORE/STOREDIST results and
// their encodings, keyspace events, dirty counts, commandstats, COMMAND INFO/DOCS/GETKEYS.

import { afterAll, describe, expect, test } from "bun:test";
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { compareCommandInfo, compareScript, compareWatchEffects, dirtyOf, haveRedis, usePair, type CommandArgs, type Pair } from "../helpers/differential.ts";
import { RawClient, type RunningServer } from "../helpers/server.ts";
import { seededRandom } from "../helpers/random.ts";
import { startFlavor, type Flavor } from "../helpers/aof-servers.ts";
import { runScenario, type Step } from "../helpers/scenario.ts";
import { renderCommand } from "../helpers/effect-stream.ts";
import { parseAofCommands } from "../helpers/aof.ts";

const d = haveRedis ? describe : describe.skip;

const UNITS = ["m", "km", "ft", "mi", "KM", "Mi"];

/** A random generator with the helpers the scripts below need. */
function generator(seed: number) {
  const random = seededRandom(seed);
  const int = (min: number, max: number) => min + Math.floor(random() * (max - min + 1));
  const pick = <T>(items: readonly T[]): T => items[int(0, items.length - 1)]!;
  const chance = (p: number) => random() < p;
  /** A coordinate as a client would send it: up to 6-8 decimals, sometimes an integer. */
  const coordinate = (min: number, max: number) => {
    const value = min + random() * (max - min);
    return chance(0.1) ? String(Math.round(value)) : value.toFixed(int(1, 8));
  };
  return { random, int, pick, chance, coordinate };
}

type Generator = ReturnType<typeof generator>;

/** GEOADD arguments for `count` points: clustered around a few centres, some at the edges, some stacked. */
function randomPoints(g: Generator, count: number, prefix: string): string[] {
  const centres: Array<[number, number]> = [
    [13.361389, 38.115556],
    [-0.1276, 51.5072],
    [179.9, 0.5],
    [-179.95, -10],
    [2.35, 84.9],
    [-70, -84.5],
    [0, 0],
  ];
  const args: string[] = [];
  const placed: Array<[string, string]> = [];
  for (let i = 0; i < count; i++) {
    let longitude: string;
    let latitude: string;
    const kind = g.random();
    if (kind < 0.08 && placed.length > 0) [longitude, latitude] = g.pick(placed);
    else if (kind < 0.15) [longitude, latitude] = [g.coordinate(-179.9999, 179.9999), g.coordinate(-85.0511, 85.0511)];
    else if (kind < 0.2) [longitude, latitude] = [g.pick(["180", "-180", "179.999999", "-179.999999", "0"]), g.pick(["85.05112878", "-85.05112878", "85", "-85", "0", "45"])];
    else {
      const [x, y] = g.pick(centres);
      const spread = g.pick([0.01, 0.5, 5]);
      const clamp = (v: number, limit: number) => Math.max(-limit, Math.min(limit, v));
      longitude = clamp(x + (g.random() - 0.5) * spread, 179.9999).toFixed(g.int(2, 7));
      latitude = clamp(y + (g.random() - 0.5) * spread, 85.0511).toFixed(g.int(2, 7));
    }
    placed.push([longitude, latitude]);
    args.push(longitude, latitude, `${prefix}${i}`);
  }
  return args;
}

/** Options of a search that replies (not stores). */
function replyOptions(g: Generator): string[] {
  const options: string[] = [];
  if (g.chance(0.4)) options.push("WITHCOORD");
  if (g.chance(0.4)) options.push("WITHDIST");
  if (g.chance(0.3)) options.push("WITHHASH");
  if (g.chance(0.5)) {
    options.push("COUNT", String(g.pick([1, 2, 3, 5, 10, 50, 1000])));
    if (g.chance(0.3)) options.push("ANY");
  }
  if (g.chance(0.5)) options.push(g.pick(["ASC", "DESC"]));
  // Options come in any order.
  for (let i = options.length - 1; i > 0; i--) {
    const j = g.int(0, i);
    if (options[i] === "COUNT" || options[j] === "COUNT" || options[i - 1] === "COUNT" || (j > 0 && options[j - 1] === "COUNT")) continue;
    [options[i], options[j]] = [options[j]!, options[i]!];
  }
  return options;
}

function randomRadius(g: Generator): [string, string] {
  const unit = g.pick(UNITS);
  const meters = g.pick([0, 1, 50, 1000, 20000, 200000, 1000000, 5000000, 20000000]) * (0.5 + g.random());
  const scale = { m: 1, km: 1000, ft: 0.3048, mi: 1609.34 }[unit.toLowerCase() as "m"]!;
  return [String(meters === 0 ? 0 : +(meters / scale).toPrecision(g.int(1, 6))), unit];
}

function randomCentre(g: Generator): [string, string] {
  if (g.chance(0.15)) return [g.pick(["180", "-180", "0", "179.99"]), g.pick(["85.05112878", "-85.05112878", "0", "84"])];
  if (g.chance(0.5)) return [g.coordinate(-179.9999, 179.9999), g.coordinate(-85.0511, 85.0511)];
  const [x, y] = g.pick([[13.36, 38.1], [-0.13, 51.5], [179.9, 0.5], [-179.95, -10], [2.35, 84.9], [-70, -84.5], [0, 0]] as Array<[number, number]>);
  return [(x + (g.random() - 0.5)).toFixed(4), Math.max(-85, Math.min(85, y + (g.random() - 0.5))).toFixed(4)];
}

/** One random search command over key `key` whose members are `${prefix}0..n-1`. */
function randomSearch(g: Generator, key: string, members: number, prefix: string): string[] {
  const member = () => `${prefix}${g.int(0, members - 1)}`;
  switch (g.int(0, 5)) {
    case 0:
      return ["GEORADIUS", key, ...randomCentre(g), ...randomRadius(g), ...replyOptions(g)];
    case 1:
      return ["GEORADIUS_RO", key, ...randomCentre(g), ...randomRadius(g), ...replyOptions(g)];
    case 2:
      return [g.pick(["GEORADIUSBYMEMBER", "GEORADIUSBYMEMBER_RO"]), key, member(), ...randomRadius(g), ...replyOptions(g)];
    default: {
      const from = g.chance(0.5) ? ["FROMMEMBER", member()] : ["FROMLONLAT", ...randomCentre(g)];
      const by = g.chance(0.5) ? ["BYRADIUS", ...randomRadius(g)] : ["BYBOX", randomRadius(g)[0], ...randomRadius(g)];
      return ["GEOSEARCH", key, ...(g.chance(0.5) ? [...from, ...by] : [...by, ...from]), ...replyOptions(g)];
    }
  }
}

async function compareResp3(pair: Pair, script: CommandArgs[]): Promise<string[]> {
  const [b, r] = await Promise.all([RawClient.connect(pair.bunker.port), RawClient.connect(pair.redis.port)]);
  try {
    await Promise.all([b.call("HELLO", "3"), r.call("HELLO", "3")]);
    return await compareScript({ ...pair, b, r }, script);
  } finally {
    b.close();
    r.close();
  }
}

d("GEO commands against redis-server", () => {
  const pair = usePair();

  test("GEOADD, GEOPOS, GEODIST, GEOHASH on Redis's example", async () => {
    const script: CommandArgs[] = [
      ["DEL", "Sicily"],
      ["GEOADD", "Sicily", "13.361389", "38.115556", "Palermo", "15.087269", "37.502669", "Catania"],
      ["GEODIST", "Sicily", "Palermo", "Catania"],
      ["GEODIST", "Sicily", "Palermo", "Catania", "km"],
      ["GEODIST", "Sicily", "Palermo", "Catania", "MI"],
      ["GEODIST", "Sicily", "Palermo", "Catania", "ft"],
      ["GEODIST", "Sicily", "Palermo", "Palermo"],
      ["GEODIST", "Sicily", "Palermo", "Nowhere"],
      ["GEODIST", "Sicily", "Palermo", "Catania", "yards"],
      ["GEODIST", "Sicily", "Palermo", "Catania", "km", "extra"],
      ["GEODIST", "nokey", "a", "b"],
      ["GEODIST", "nokey", "a", "b", "parsec"],
      ["GEOPOS", "Sicily", "Palermo", "Catania", "NonExisting"],
      ["GEOPOS", "nokey", "a"],
      ["GEOPOS", "Sicily"],
      ["GEOHASH", "Sicily", "Palermo", "Catania", "x"],
      ["GEOHASH", "nokey", "a", "b"],
      ["ZRANGE", "Sicily", "0", "-1", "WITHSCORES"],
      ["GEORADIUS", "Sicily", "15", "37", "200", "km", "WITHDIST"],
      ["GEORADIUS", "Sicily", "15", "37", "200", "km", "WITHCOORD"],
      ["GEORADIUS", "Sicily", "15", "37", "200", "km", "WITHDIST", "WITHCOORD", "WITHHASH"],
      ["GEORADIUSBYMEMBER", "Sicily", "Palermo", "200", "km", "WITHDIST"],
      ["GEOSEARCH", "Sicily", "FROMLONLAT", "15", "37", "BYBOX", "400", "400", "km", "ASC", "WITHCOORD", "WITHDIST"],
      ["OBJECT", "ENCODING", "Sicily"],
    ];
    expect(await compareScript(pair(), script)).toEqual([]);
    expect(await compareResp3(pair(), script)).toEqual([]);
  });

  test("GEOADD options, replies and errors", async () => {
    const script: CommandArgs[] = [
      ["DEL", "g", "s"],
      ["SET", "s", "x"],
      ["GEOADD", "g", "10", "20", "a"],
      ["GEOADD", "g", "CH", "10", "20", "a", "11", "21", "b"],
      ["GEOADD", "g", "ch", "10.5", "20", "a"],
      ["GEOADD", "g", "NX", "1", "1", "a", "2", "2", "c"],
      ["GEOADD", "g", "XX", "CH", "3", "3", "a", "4", "4", "d"],
      ["GEOADD", "g", "NX", "XX", "3", "3", "a"],
      ["GEOADD", "g", "GT", "3", "3", "a"],
      ["GEOADD", "g", "3", "3"],
      ["GEOADD", "g", "3", "3", "a", "4"],
      ["GEOADD", "g", "ch", "ch", "ch"],
      ["GEOADD", "g", "ch", "nx", "xx"],
      ["GEOADD", "g", "abc", "3", "a"],
      ["GEOADD", "g", "3", "abc", "a"],
      ["GEOADD", "g", "181", "3", "a"],
      ["GEOADD", "g", "-180.0000001", "3", "a"],
      ["GEOADD", "g", "3", "85.05112879", "a"],
      ["GEOADD", "g", "3", "-90", "a"],
      ["GEOADD", "g", "inf", "0", "a"],
      ["GEOADD", "g", "1e300", "-1e300", "a"],
      ["GEOADD", "g", "200.0078125", "0", "a"],
      ["GEOADD", "g", "0", "-85.0078125", "a"],
      ["GEOADD", "g", " 3", "3", "a"],
      ["GEOADD", "g", "0x10", "0x1p-3", "hex"],
      ["GEOADD", "g", "1", "1", "ok", "1000", "1", "bad"],
      ["GEOADD", "s", "1", "1", "a"],
      ["GEOADD", "g", "180", "85.05112878", "ne", "-180", "-85.05112878", "sw", "180", "0", "e", "0", "85.05112878", "n"],
      ["GEOADD", "g", "179.99999999999", "85.0511287", "ne2", "180", "12.3456789", "e2"],
      ["ZRANGE", "g", "0", "-1", "WITHSCORES"],
      ["GEOPOS", "g", "ne", "sw", "e", "n", "ne2", "e2", "hex", "ok"],
      ["GEOHASH", "g", "ne", "sw", "e", "n", "ne2", "e2", "hex"],
      ["GEODIST", "g", "ne", "sw", "km"],
      ["GEODIST", "g", "e", "e2"],
      ["GEOPOS", "s", "a"],
      ["GEOHASH", "s", "a"],
      ["GEODIST", "s", "a", "b"],
      ["GEODIST", "s", "a", "b", "nounit"],
    ];
    expect(await compareScript(pair(), script)).toEqual([]);
  });

  test("positions of scores GEOADD never writes (negative, fractional, huge, infinite)", async () => {
    const script: CommandArgs[] = [
      ["DEL", "z"],
      ["ZADD", "z", "-1", "neg", "1.5", "frac", "0", "zero", "-inf", "ninf", "inf", "pinf", "1e300", "huge", "4503599627370496", "b52", "9007199254740993", "b53", "18014398509481984", "b54", "1e19", "b63", "-9.3e18", "below", "-0.5", "nhalf"],
      ["GEOPOS", "z", "neg", "frac", "zero", "ninf", "pinf", "huge", "b52", "b53", "b54", "b63", "below", "nhalf"],
      ["GEOHASH", "z", "neg", "frac", "zero", "ninf", "pinf", "huge", "b52", "b53", "b54", "b63", "below", "nhalf"],
      ["GEODIST", "z", "neg", "frac"],
      ["GEODIST", "z", "ninf", "pinf", "mi"],
      ["GEORADIUSBYMEMBER", "z", "neg", "100", "km", "WITHCOORD", "WITHHASH"],
      ["GEORADIUS", "z", "0", "0", "20000", "km", "WITHHASH", "WITHDIST", "ASC"],
      ["GEOSEARCH", "z", "FROMMEMBER", "zero", "BYBOX", "40000", "40000", "km", "WITHHASH", "DESC"],
    ];
    expect(await compareScript(pair(), script)).toEqual([]);
    expect(await compareResp3(pair(), script)).toEqual([]);
  });

  test("search argument errors, in Redis's order", async () => {
    const script: CommandArgs[] = [
      ["DEL", "g", "s", "dst"],
      ["SET", "s", "x"],
      ["GEOADD", "g", "13.361389", "38.115556", "Palermo", "15.087269", "37.502669", "Catania"],
      ["GEORADIUS", "s", "abc", "0", "1", "km"],
      ["GEORADIUS", "g", "abc", "0", "1", "km"],
      ["GEORADIUS", "g", "0", "abc", "1", "km"],
      ["GEORADIUS", "g", "0", "86", "1", "km"],
      ["GEORADIUS", "g", "0", "0", "abc", "km"],
      ["GEORADIUS", "g", "0", "0", "-1", "km"],
      ["GEORADIUS", "g", "0", "0", "1", "yd"],
      ["GEORADIUS", "g", "0", "0", "1", "km\0x"],
      ["GEORADIUS", "g", "0", "0", "1", "km", "COUNT"],
      ["GEORADIUS", "g", "0", "0", "1", "km", "COUNT", "0"],
      ["GEORADIUS", "g", "0", "0", "1", "km", "COUNT", "-3"],
      ["GEORADIUS", "g", "0", "0", "1", "km", "COUNT", "x"],
      ["GEORADIUS", "g", "15", "37", "200", "km", "COUNT", "9223372036854775807"],
      ["GEORADIUS", "g", "15", "37", "200", "km", "COUNT", "9223372036854775808"],
      ["GEORADIUS", "g", "15", "37", "200", "km", "COUNT", "+1"],
      ["GEORADIUS", "g", "15", "37", "200", "km", "COUNT", "1.5"],
      ["GEORADIUS", "g", "15", "37", "200", "km", "COUNT", "1", "COUNT", "2"],
      ["GEORADIUS", "g", "15", "37", "-0", "km"],
      ["GEORADIUS", "g", "15", "37", "nan", "km"],
      ["GEORADIUS", "g", "15", "37", "1e999", "km"],
      ["GEORADIUS", "g", "15", "37", "0x1p8", "KM"],
      ["GEORADIUS", "g", "nan", "37", "1", "km"],
      ["GEORADIUS", "g", "15", "37", "200", "km", "withdist\0x", "ASC"],
      ["GEORADIUS", "g", "15", "37", "200", "km", "WITHDIST", "WITHDIST", "asc", "desc"],
      ["GEORADIUS", "g", "0", "0", "1", "km", "ANY"],
      ["GEORADIUS", "g", "0", "0", "1", "km", "NOPE"],
      ["GEORADIUS", "g", "0", "0", "1", "km", "STORE"],
      ["GEORADIUS", "g", "0", "0", "1", "km", "STORE", "dst", "WITHDIST"],
      ["GEORADIUS", "g", "0", "0", "1", "km", "WITHHASH", "STOREDIST", "dst"],
      ["GEORADIUS_RO", "g", "0", "0", "1", "km", "STORE", "dst"],
      ["GEORADIUSBYMEMBER", "g", "Nowhere", "1", "km"],
      ["GEORADIUSBYMEMBER", "g", "Palermo", "x", "km"],
      ["GEORADIUSBYMEMBER", "nokey", "Palermo", "x", "km"],
      ["GEORADIUSBYMEMBER", "nokey", "Palermo", "x", "km", "BAD"],
      ["GEORADIUSBYMEMBER", "nokey", "Palermo", "x", "km", "STORE", "dst", "WITHCOORD"],
      ["GEORADIUSBYMEMBER_RO", "g", "Palermo", "1", "km", "STOREDIST", "dst"],
      ["GEOSEARCH", "g", "FROMMEMBER", "Palermo", "BYRADIUS", "1", "km", "STORE", "dst"],
      ["GEOSEARCH", "g", "FROMMEMBER", "Palermo", "BYRADIUS", "1", "km", "STOREDIST"],
      ["GEOSEARCH", "g", "BYRADIUS", "1", "km", "WITHDIST"],
      ["GEOSEARCH", "g", "FROMMEMBER", "Palermo", "WITHDIST"],
      ["geosearch", "g", "FROMLONLAT", "0", "0", "WITHDIST"],
      ["GeoSearch", "g", "BYBOX", "1", "1", "km", "WITHDIST"],
      ["GEOSEARCH", "g", "FROMMEMBER", "Palermo", "FROMLONLAT", "0", "0", "BYRADIUS", "1", "km"],
      ["GEOSEARCH", "g", "FROMLONLAT", "0", "0", "FROMMEMBER", "Palermo", "BYRADIUS", "1", "km"],
      ["GEOSEARCH", "g", "FROMMEMBER", "Palermo", "FROMMEMBER", "Catania", "BYRADIUS", "200", "km"],
      ["GEOSEARCH", "g", "FROMLONLAT", "0", "0", "BYRADIUS", "1", "km", "BYBOX", "1", "1", "km"],
      ["GEOSEARCH", "g", "FROMLONLAT", "0", "0", "BYBOX", "1", "1", "km", "BYRADIUS", "1", "km"],
      ["GEOSEARCH", "g", "FROMLONLAT", "15", "37", "BYBOX", "1", "1", "km", "BYBOX", "500", "500", "km"],
      ["GEOSEARCH", "g", "FROMMEMBER", "Nowhere", "BYRADIUS", "1", "km"],
      ["GEOSEARCH", "g", "FROMLONLAT", "0", "0", "BYBOX", "x", "1", "km"],
      ["GEOSEARCH", "g", "FROMLONLAT", "0", "0", "BYBOX", "1", "x", "km"],
      ["GEOSEARCH", "g", "FROMLONLAT", "0", "0", "BYBOX", "x", "x", "km"],
      ["GEOSEARCH", "g", "FROMLONLAT", "0", "0", "BYBOX", "-1", "1", "km"],
      ["GEOSEARCH", "g", "FROMLONLAT", "0", "0", "BYBOX", "1", "-1", "km"],
      ["GEOSEARCH", "g", "FROMLONLAT", "0", "0", "BYBOX", "1", "1", "au"],
      ["GEOSEARCH", "g", "FROMLONLAT", "0", "0", "BYBOX", "1", "1"],
      ["GEOSEARCH", "g", "FROMLONLAT", "0", "0", "BYRADIUS", "1"],
      ["GEOSEARCH", "g", "FROMLONLAT", "0", "BYRADIUS", "1", "km"],
      ["GEOSEARCH", "g", "FROMMEMBER"],
      ["GEOSEARCH", "nokey", "FROMMEMBER", "Palermo", "BYRADIUS", "1", "km"],
      ["GEOSEARCH", "nokey", "FROMMEMBER", "x", "BYRADIUS", "-1", "km"],
      ["GEOSEARCH", "nokey", "FROMMEMBER", "x", "BYRADIUS", "1", "km", "ANY"],
      ["GEOSEARCH", "s", "FROMMEMBER", "x", "BYRADIUS", "1", "km"],
      ["GEOSEARCH", "g", "FROMLONLAT", "200", "0", "BYRADIUS", "1", "km"],
      ["GEOSEARCHSTORE", "dst", "g", "FROMMEMBER", "Palermo", "BYRADIUS", "1", "km", "WITHDIST"],
      ["GEOSEARCHSTORE", "dst", "g", "FROMMEMBER", "Palermo", "BYRADIUS", "1", "km", "STORE", "x"],
      ["GEOSEARCHSTORE", "dst", "g", "FROMMEMBER", "Palermo", "BYRADIUS", "1", "km", "STOREDIST", "x"],
      ["GEOSEARCHSTORE", "dst", "s", "FROMMEMBER", "Palermo", "BYRADIUS", "1", "km"],
      ["GEORADIUS", "g", "0", "0"],
      ["GEOSEARCH", "g", "FROMLONLAT", "0"],
      ["GEOSEARCHSTORE", "dst", "g", "FROMLONLAT", "0", "0"],
      ["EXISTS", "dst"],
    ];
    expect(await compareScript(pair(), script)).toEqual([]);
  });

  test("random points and searches with every option, RESP2 and RESP3", async () => {
    for (const seed of (process.env.GEO_SEEDS ?? "1,2,3,4,5,6").split(",").map(Number)) {
      const g = generator(seed);
      const members = 400;
      const setup: CommandArgs[] = [["DEL", "pts"], ["GEOADD", "pts", ...randomPoints(g, members, "p")], ["ZCARD", "pts"]];
      expect(await compareScript(pair(), setup)).toEqual([]);
      expect(await pair().b.call("ZCARD", "pts")).toBe(members);
      const searches: CommandArgs[] = [];
      for (let i = 0; i < Number(process.env.GEO_SEARCHES ?? 300); i++) searches.push(randomSearch(g, "pts", members, "p"));
      expect({ seed, mismatches: await compareScript(pair(), searches) }).toEqual({ seed, mismatches: [] });
      // The searches must find things, or the comparison above proves little.
      let nonEmpty = 0;
      for (const search of searches.slice(0, 100)) {
        const reply = await pair().r.callRaw(...search);
        if (reply.startsWith("*") && !reply.startsWith("*0\r\n")) nonEmpty++;
      }
      expect(nonEmpty).toBeGreaterThan(40);
      expect({ seed, mismatches: await compareResp3(pair(), searches.slice(0, 80)) }).toEqual({ seed, mismatches: [] });
      const positions: CommandArgs[] = [];
      for (let i = 0; i < members; i += 40) positions.push(["GEOPOS", "pts", ...Array.from({ length: 40 }, (_, j) => `p${i + j}`)]);
      positions.push(["GEOHASH", "pts", ...Array.from({ length: 100 }, (_, j) => `p${j}`)]);
      for (let i = 0; i < 60; i++) positions.push(["GEODIST", "pts", `p${g.int(0, members - 1)}`, `p${g.int(0, members - 1)}`, ...(g.chance(0.5) ? [g.pick(UNITS)] : [])]);
      expect({ seed, mismatches: await compareScript(pair(), positions) }).toEqual({ seed, mismatches: [] });
    }
  });

  test("members at the same place: COUNT's partial sort picks Redis's members among equal distances", async () => {
    const g = generator(11);
    const spots = [["10", "10"], ["10.001", "10"], ["10", "10.002"], ["9.999", "9.999"], ["10.0005", "10.0005"]];
    const args: string[] = [];
    // Names in shuffled order, so that score order (then member order) is not insertion order.
    const names = Array.from({ length: 150 }, (_, i) => `m${String(i).padStart(3, "0")}`).sort(() => g.random() - 0.5);
    names.forEach((name, i) => args.push(...spots[i % spots.length]!, name));
    const script: CommandArgs[] = [["DEL", "stack"], ["GEOADD", "stack", ...args]];
    for (const count of [1, 2, 3, 5, 6, 7, 8, 20, 29, 30, 31, 41, 60, 100, 149, 150, 151]) {
      for (const order of [[], ["ASC"], ["DESC"]]) {
        script.push(["GEORADIUS", "stack", "10", "10", "1", "km", "COUNT", String(count), ...order]);
        script.push(["GEOSEARCH", "stack", "FROMLONLAT", "10.0002", "10.0001", "BYBOX", "2", "2", "km", "COUNT", String(count), ...order, "WITHDIST"]);
        script.push(["GEORADIUSBYMEMBER_RO", "stack", names[0]!, "1", "km", "COUNT", String(count), "ANY", ...order]);
      }
    }
    script.push(["GEORADIUS", "stack", "10", "10", "1", "km", "DESC"], ["GEORADIUS", "stack", "10", "10", "1", "km"]);
    expect(await compareScript(pair(), script)).toEqual([]);
    // A skiplist-encoded set gives the same answers.
    expect(await compareScript(pair(), [["CONFIG", "SET", "zset-max-listpack-entries", "16"], ["DEL", "stack"], ["GEOADD", "stack", ...args], ["OBJECT", "ENCODING", "stack"], ...script.slice(2), ["CONFIG", "SET", "zset-max-listpack-entries", "128"]])).toEqual([]);
  });

  test("the edges: poles, the antimeridian, radius 0, huge and infinite radii, empty boxes", async () => {
    const points = [
      ["180", "0", "e180"], ["-180", "0", "w180"], ["179.9999", "0.0001", "e"], ["-179.9999", "-0.0001", "w"],
      ["179.5", "10", "e10"], ["-179.5", "10", "w10"], ["0", "85.05112878", "north"], ["0", "-85.05112878", "south"],
      ["90", "85", "n90"], ["-90", "85", "nm90"], ["180", "85.05112878", "corner"], ["-180", "-85.05112878", "corner2"],
      ["0", "0", "origin"], ["0.000001", "0", "near"], ["45", "45", "mid"],
    ];
    const script: CommandArgs[] = [["DEL", "edge"], ["GEOADD", "edge", ...points.flat()]];
    const centres = [["180", "0"], ["-180", "0"], ["179.99", "5"], ["0", "85.05112878"], ["0", "-85.05112878"], ["0", "0"], ["-179.9999", "-0.0001"], ["180", "85.05112878"], ["90", "84.9"]];
    for (const [x, y] of centres) {
      for (const [radius, unit] of [["0", "m"], ["0.5", "m"], ["100", "km"], ["1000", "km"], ["5000", "km"], ["20000", "km"], ["1e7", "km"], ["inf", "m"], ["1e-300", "m"]]) {
        script.push(["GEORADIUS", "edge", x!, y!, radius!, unit!, "WITHDIST", "WITHCOORD", "ASC"]);
      }
      for (const [w, h] of [["0", "0"], ["0", "1000"], ["1000", "0"], ["400", "4000"], ["40000", "40000"], ["inf", "1"]]) {
        script.push(["GEOSEARCH", "edge", "FROMLONLAT", x!, y!, "BYBOX", w!, h!, "km", "WITHDIST", "WITHHASH", "DESC"]);
      }
    }
    for (const member of ["e180", "w180", "north", "south", "corner", "origin"]) {
      script.push(["GEORADIUSBYMEMBER", "edge", member, "0", "km", "WITHCOORD"], ["GEORADIUSBYMEMBER", "edge", member, "600", "km", "WITHDIST", "COUNT", "4"]);
      script.push(["GEOSEARCH", "edge", "FROMMEMBER", member, "BYRADIUS", "3000", "mi", "WITHDIST", "COUNT", "3", "ANY"]);
    }
    script.push(["GEOPOS", "edge", ...points.map((point) => point[2]!)], ["GEOHASH", "edge", ...points.map((point) => point[2]!)]);
    expect(await compareScript(pair(), script)).toEqual([]);
    expect(await compareResp3(pair(), script.slice(-20))).toEqual([]);
  });

  test("STORE, STOREDIST and GEOSEARCHSTORE: contents, encodings, TTLs, empty results, dirty counts", async () => {
    const g = generator(5);
    const setup: CommandArgs[] = [["FLUSHALL"], ["CONFIG", "SET", "zset-max-listpack-entries", "10"], ["CONFIG", "SET", "zset-max-listpack-value", "20"], ["GEOADD", "src", ...randomPoints(g, 60, "s")], ["GEOADD", "src", "13.4", "38.1", "a-member-name-longer-than-twenty-bytes"]];
    expect(await compareScript(pair(), setup)).toEqual([]);
    const stores: CommandArgs[] = [
      ["GEORADIUS", "src", "13.36", "38.11", "100", "km", "STORE", "dst"],
      ["GEORADIUS", "src", "13.36", "38.11", "100", "km", "STOREDIST", "dst", "COUNT", "3"],
      ["GEORADIUS", "src", "13.36", "38.11", "100", "km", "STORE", "dst", "STOREDIST", "dst2", "DESC", "COUNT", "12"],
      ["GEORADIUS", "src", "13.36", "38.11", "3000", "km", "STOREDIST", "dst", "ASC"],
      ["GEORADIUSBYMEMBER", "src", "s1", "2000", "mi", "STORE", "dst", "COUNT", "5", "ANY"],
      ["GEORADIUSBYMEMBER", "src", "s1", "2000", "mi", "store", "dst"],
      ["GEOSEARCHSTORE", "dst", "src", "FROMMEMBER", "s2", "BYBOX", "5000", "5000", "km"],
      ["GEOSEARCHSTORE", "dst", "src", "FROMLONLAT", "0", "0", "BYRADIUS", "20000", "km", "STOREDIST", "COUNT", "9"],
      ["GEOSEARCHSTORE", "dst", "src", "FROMLONLAT", "13.4", "38.1", "BYRADIUS", "1", "m", "STOREDIST"],
      ["GEOSEARCHSTORE", "dst", "src", "FROMLONLAT", "13.4", "38.1", "BYRADIUS", "20", "km", "STOREDIST"],
      // Empty results delete the destination; a missing source too.
      ["SET", "dst", "string", "EX", "1000"],
      ["GEORADIUS", "src", "-100", "-80", "1", "m", "STORE", "dst"],
      ["SET", "dst", "string", "EX", "1000"],
      ["GEOSEARCHSTORE", "dst", "nosrc", "FROMMEMBER", "x", "BYRADIUS", "1", "km"],
      ["GEORADIUSBYMEMBER", "nosrc", "x", "1", "km", "STORE", "dst"],
      ["SET", "dst", "string", "EX", "1000"],
      ["GEORADIUS", "src", "13.36", "38.11", "100", "km", "STORE", "dst"],
      ["TTL", "dst"],
      ["GEORADIUS", "src", "13.36", "38.11", "100", "km", "STORE", "src"],
      ["GEOSEARCHSTORE", "src", "src", "FROMLONLAT", "13.36", "38.11", "BYRADIUS", "50", "km", "STOREDIST"],
    ];
    const inspect: CommandArgs[] = [["ZRANGE", "dst", "0", "-1", "WITHSCORES"], ["OBJECT", "ENCODING", "dst"], ["ZRANGE", "dst2", "0", "-1", "WITHSCORES"], ["OBJECT", "ENCODING", "dst2"], ["TYPE", "dst"], ["ZRANGE", "src", "0", "-1", "WITHSCORES"]];
    const mismatches: string[] = [];
    for (const command of stores) {
      const [before] = await Promise.all([Promise.all([dirtyOf(pair().b), dirtyOf(pair().r)])]);
      mismatches.push(...(await compareScript(pair(), [command, ...inspect])));
      const after = await Promise.all([dirtyOf(pair().b), dirtyOf(pair().r)]);
      if (after[0] - before[0] !== after[1] - before[1]) mismatches.push(`${command.join(" ")}: dirty +${after[0] - before[0]}, Redis +${after[1] - before[1]}`);
    }
    expect(mismatches).toEqual([]);
    expect(await compareScript(pair(), [["CONFIG", "SET", "zset-max-listpack-entries", "128"], ["CONFIG", "SET", "zset-max-listpack-value", "64"]])).toEqual([]);
  });

  test("keyspace events and dirty counts of every write", async () => {
    const { bunker, redis } = pair();
    const subscribers = await Promise.all([RawClient.connect(bunker.port), RawClient.connect(redis.port)]);
    try {
      await compareScript(pair(), [["FLUSHALL"], ["CONFIG", "SET", "notify-keyspace-events", "KEA"]]);
      await Promise.all(subscribers.map((client) => client.call("PSUBSCRIBE", "__key*__:*")));
      const script: CommandArgs[] = [
        ["GEOADD", "k", "1", "1", "a", "2", "2", "b"],
        ["GEOADD", "k", "1", "1", "a"],
        ["GEOADD", "k", "XX", "CH", "1.5", "1", "a"],
        ["GEOADD", "k", "NX", "1.5", "1", "a"],
        ["GEOADD", "k", "1000", "1", "bad"],
        ["GEORADIUS", "k", "1", "1", "500", "km"],
        ["GEORADIUS", "k", "1", "1", "500", "km", "STORE", "d1"],
        ["GEORADIUSBYMEMBER", "k", "a", "500", "km", "STOREDIST", "d2"],
        ["GEOSEARCHSTORE", "d3", "k", "FROMMEMBER", "a", "BYRADIUS", "500", "km"],
        ["GEOSEARCHSTORE", "d3", "k", "FROMMEMBER", "a", "BYRADIUS", "1", "m"],
        ["GEOSEARCHSTORE", "d3", "k", "FROMMEMBER", "a", "BYRADIUS", "1", "m"],
        ["GEORADIUS", "nokey", "1", "1", "500", "km", "STORE", "d1"],
        ["GEORADIUS", "nokey", "1", "1", "500", "km", "STORE", "d1"],
        ["GEOSEARCH", "k", "FROMMEMBER", "a", "BYRADIUS", "500", "km"],
        ["GEOPOS", "k", "a"],
      ];
      const mismatches: string[] = [];
      for (const command of script) {
        const before = await Promise.all([dirtyOf(pair().b), dirtyOf(pair().r)]);
        mismatches.push(...(await compareScript(pair(), [command])));
        const after = await Promise.all([dirtyOf(pair().b), dirtyOf(pair().r)]);
        if (after[0] - before[0] !== after[1] - before[1]) mismatches.push(`${command.join(" ")}: dirty +${after[0] - before[0]}, Redis +${after[1] - before[1]}`);
        const [ours, theirs] = await Promise.all(subscribers.map((client) => client.drainBeforePing()));
        if (ours !== theirs) mismatches.push(`${command.join(" ")}: events ${JSON.stringify(ours)}, Redis ${JSON.stringify(theirs)}`);
      }
      expect(mismatches).toEqual([]);
    } finally {
      for (const client of subscribers) client.close();
      await compareScript(pair(), [["CONFIG", "SET", "notify-keyspace-events", ""]]);
    }
  });

  test("commandstats: GEOADD counts as geoadd (not the ZADD it runs), failures and rejections too", async () => {
    const script: CommandArgs[] = [
      ["CONFIG", "RESETSTAT"],
      ["GEOADD", "cs", "1", "1", "a"],
      ["GEOADD", "cs", "1", "100", "a"],
      ["GEOADD", "cs"],
      ["GEODIST", "cs", "a", "a"],
      ["GEOPOS", "cs", "a"],
      ["GEOHASH", "cs", "a"],
      ["GEORADIUS", "cs", "1", "1", "1", "km"],
      ["GEORADIUS_RO", "cs", "1", "1", "1", "km", "STORE", "x"],
      ["GEORADIUSBYMEMBER", "cs", "a", "1", "km"],
      ["GEORADIUSBYMEMBER_RO", "cs", "a", "1", "km"],
      ["GEOSEARCH", "cs", "FROMMEMBER", "a", "BYRADIUS", "1", "km"],
      ["GEOSEARCHSTORE", "cs2", "cs", "FROMMEMBER", "a", "BYRADIUS", "1", "km"],
    ];
    expect(await compareScript(pair(), script)).toEqual([]);
    const stats = async (client: RawClient) =>
      String(await client.call("INFO", "commandstats"))
        .split("\r\n")
        .filter((line) => line.startsWith("cmdstat_geo") || line.startsWith("cmdstat_zadd"))
        .map((line) => line.replace(/usec=\d+,usec_per_call=[\d.]+,/, ""))
        .sort();
    const [ours, theirs] = await Promise.all([stats(pair().b), stats(pair().r)]);
    expect(ours).toEqual(theirs);
    expect(ours.length).toBe(10);
  });

  test("COMMAND INFO, COMMAND DOCS and COMMAND GETKEYS", async () => {
    const names = ["geoadd", "geodist", "geohash", "geopos", "georadius", "georadius_ro", "georadiusbymember", "georadiusbymember_ro", "geosearch", "geosearchstore"];
    expect(await compareCommandInfo(pair(), names)).toEqual([]);
    // The whole entries, key specifications included.
    expect(await compareScript(pair(), names.map((name) => ["COMMAND", "INFO", name]))).toEqual([]);
    expect(await compareResp3(pair(), names.map((name) => ["COMMAND", "INFO", name]))).toEqual([]);
    expect(await compareScript(pair(), names.map((name) => ["COMMAND", "DOCS", name]))).toEqual([]);
    expect(await compareResp3(pair(), names.map((name) => ["COMMAND", "DOCS", name]))).toEqual([]);
    const getkeys: CommandArgs[] = [
      ["COMMAND", "GETKEYS", "GEOADD", "k", "1", "2", "m"],
      ["COMMAND", "GETKEYS", "GEORADIUS", "k", "1", "2", "3", "km"],
      ["COMMAND", "GETKEYS", "GEORADIUS", "k", "1", "2", "3", "km", "STORE", "a", "STOREDIST", "b"],
      ["COMMAND", "GETKEYS", "GEORADIUS", "k", "1", "2", "3", "km", "STOREDIST", "b", "STORE", "a"],
      ["COMMAND", "GETKEYS", "GEORADIUS", "k", "1", "2", "3", "km", "STORE", "a", "STORE", "b"],
      ["COMMAND", "GETKEYS", "GEORADIUS", "k", "1", "2", "3", "km", "STORE"],
      ["COMMAND", "GETKEYS", "GEORADIUS", "k", "1", "2", "store", "km", "STORE", "x"],
      ["COMMAND", "GETKEYS", "GEORADIUSBYMEMBER", "k", "m", "3", "km", "STORE", "store", "store"],
      ["COMMAND", "GETKEYS", "GEORADIUSBYMEMBER", "k", "m", "3", "km", "storedist", "x"],
      ["COMMAND", "GETKEYS", "GEORADIUS_RO", "k", "1", "2", "3", "km", "STORE", "x"],
      ["COMMAND", "GETKEYS", "GEOSEARCHSTORE", "d", "s", "FROMMEMBER", "m", "BYRADIUS", "1", "km"],
      ["COMMAND", "GETKEYS", "GEOSEARCH", "s", "FROMMEMBER", "m", "BYRADIUS", "1", "km"],
      ["COMMAND", "GETKEYS", "GEOPOS", "k"],
    ];
    expect(await compareScript(pair(), getkeys)).toEqual([]);
  });

  test("a stored result serves a client blocked on the destination; WATCH sees stores and deletions", async () => {
    const steps: Step[] = [
      { c: 0, quiet: ["FLUSHALL"] },
      { c: 0, quiet: ["GEOADD", "src", "13.361389", "38.115556", "Palermo", "15.087269", "37.502669", "Catania"] },
      { c: 1, send: ["BZPOPMIN", "dst", "0"] },
      { c: 2, send: ["BZPOPMAX", "dst2", "0"] },
      { c: 0, call: ["GEORADIUS", "src", "15", "37", "200", "km", "STOREDIST", "dst"] },
      { c: 0, call: ["GEOSEARCHSTORE", "dst2", "src", "FROMLONLAT", "15", "37", "BYRADIUS", "200", "km"] },
      { c: 0, call: ["ZRANGE", "dst", "0", "-1", "WITHSCORES"] },
      { c: 0, call: ["ZRANGE", "dst2", "0", "-1", "WITHSCORES"] },
      { dirty: true },
    ];
    const [ours, theirs] = await Promise.all([runScenario(pair().bunker.port, steps, { clients: 3 }), runScenario(pair().redis.port, steps, { clients: 3 })]);
    expect(ours).toEqual(theirs);
    const watched = await compareWatchEffects(
      pair(),
      {
        setup: async () => {
          await compareScript(pair(), [["FLUSHALL"], ["GEOADD", "src", "13.361389", "38.115556", "Palermo"], ["SET", "dst", "x"]]);
        },
        watched: ["dst"],
        probe: ["GET", "dst"],
      },
      [
        ["GEORADIUS", "src", "13", "38", "100", "km", "STORE", "dst"],
        ["GEORADIUS", "src", "0", "0", "1", "km", "STORE", "dst"],
        ["GEORADIUS", "src", "0", "0", "1", "km"],
        ["GEORADIUS", "nosrc", "0", "0", "1", "km", "STORE", "dst"],
        ["GEORADIUS", "nosrc", "0", "0", "1", "km", "STORE", "other"],
        ["GEOSEARCHSTORE", "dst", "src", "FROMMEMBER", "Palermo", "BYRADIUS", "1", "km"],
        ["GEOSEARCHSTORE", "dst", "src", "FROMMEMBER", "Nobody", "BYRADIUS", "1", "km"],
        ["GEOADD", "dst", "1", "1", "a"],
      ],
    );
    expect(watched).toEqual([]);
  });

  test("CLIENT PAUSE WRITE holds GEORADIUS even without STORE (a write command), not GEORADIUS_RO", async () => {
    const steps: Step[] = [
      { c: 0, quiet: ["FLUSHALL"] },
      { c: 0, quiet: ["GEOADD", "src", "13.361389", "38.115556", "Palermo"] },
      { c: 0, call: ["CLIENT", "PAUSE", "60000", "WRITE"] },
      { c: 1, send: ["GEORADIUS", "src", "13", "38", "100", "km"] },
      { c: 2, call: ["GEORADIUS_RO", "src", "13", "38", "100", "km"] },
      { c: 2, call: ["GEOSEARCH", "src", "FROMLONLAT", "13", "38", "BYRADIUS", "100", "km"] },
      { blockedClients: true },
      { c: 0, call: ["CLIENT", "UNPAUSE"] },
      { c: 0, call: ["PING"] },
    ];
    const [ours, theirs] = await Promise.all([runScenario(pair().bunker.port, steps, { clients: 3 }), runScenario(pair().redis.port, steps, { clients: 3 })]);
    expect(ours).toEqual(theirs);
  });

  test("keyspace hits and misses", async () => {
    const script: CommandArgs[] = [
      ["FLUSHALL"],
      ["CONFIG", "RESETSTAT"],
      ["GEOADD", "h", "1", "1", "a"],
      ["GEOPOS", "h", "a"],
      ["GEOPOS", "nokey", "a"],
      ["GEODIST", "h", "a", "a"],
      ["GEODIST", "nokey", "a", "a"],
      ["GEOHASH", "nokey", "a"],
      ["GEORADIUS", "h", "1", "1", "1", "km", "STORE", "d"],
      ["GEORADIUSBYMEMBER", "nokey", "a", "1", "km"],
      ["GEOSEARCHSTORE", "d", "h", "FROMMEMBER", "a", "BYRADIUS", "1", "km"],
    ];
    expect(await compareScript(pair(), script)).toEqual([]);
    const stats = async (client: RawClient) => String(await client.call("INFO", "stats")).split("\r\n").filter((line) => line.startsWith("keyspace_"));
    expect(await stats(pair().b)).toEqual(await stats(pair().r));
  });

  test("flags: GEORADIUS is a write (refused by a read-only script), GEORADIUS_RO is not", async () => {
    const script: CommandArgs[] = [
      ["DEL", "f"],
      ["GEOADD", "f", "1", "1", "a"],
      ["EVAL_RO", "return redis.call('GEORADIUS', KEYS[1], 1, 1, 10, 'km')", "1", "f"],
      ["EVAL_RO", "return redis.call('GEORADIUS_RO', KEYS[1], 1, 1, 10, 'km')", "1", "f"],
      ["EVAL_RO", "return redis.call('GEOSEARCH', KEYS[1], 'FROMLONLAT', 1, 1, 'BYRADIUS', 10, 'km', 'WITHCOORD', 'WITHDIST')", "1", "f"],
      ["EVAL", "return redis.call('GEOPOS', KEYS[1], 'a', 'b')", "1", "f"],
      ["EVAL", "return redis.call('GEODIST', KEYS[1], 'a', 'a')", "1", "f"],
      ["EVAL", "return redis.call('GEORADIUS', KEYS[1], 1, 1, 10, 'km', 'WITHDIST', 'WITHHASH')", "1", "f"],
      ["MULTI"],
      ["GEOADD", "f", "2", "2", "b"],
      ["GEORADIUS", "f", "1", "1", "1000", "km", "STORE", "f2"],
      ["GEOSEARCH", "f2", "FROMMEMBER", "a", "BYRADIUS", "1000", "km", "ASC"],
      ["EXEC"],
    ];
    expect(await compareScript(pair(), script)).toEqual([]);
  });
});

const started: RunningServer[] = [];
afterAll(async () => {
  for (const server of started) await server.stop();
});

d("GEO write propagation", () => {
  test("the AOF holds what Redis writes: GEOADD as zadd with integer scores, the searches that store as they were sent", async () => {
    const script: string[][] = [
      ["GEOADD", "p", "13.361389", "38.115556", "Palermo", "15.087269", "37.502669", "Catania"],
      ["GEOADD", "p", "ch", "Nx", "13.361389", "38.115556", "Palermo", "180", "85.05112878", "corner", "179.99999999", "12.5", "edge"],
      ["GEOADD", "p", "XX", "1", "1", "nobody"],
      ["GEOADD", "p", "1", "100", "bad"],
      ["GEORADIUS", "p", "15", "37", "200", "km"],
      ["GEORADIUS", "p", "15", "37", "200", "km", "STORE", "d"],
      ["GEORADIUS", "p", "15", "37", "200", "km", "STOREDIST", "d", "COUNT", "1"],
      ["GEORADIUS", "p", "15", "37", "1", "m", "STORE", "d"],
      ["GEORADIUS", "p", "15", "37", "1", "m", "STORE", "d"],
      ["GEORADIUSBYMEMBER", "p", "Palermo", "300", "km", "STORE", "d"],
      ["GEOSEARCHSTORE", "d2", "p", "FROMMEMBER", "Catania", "BYBOX", "500", "500", "km", "STOREDIST"],
      ["GEOSEARCHSTORE", "d2", "p", "FROMMEMBER", "Catania", "BYBOX", "0", "0", "km"],
      ["MULTI"],
      ["GEOADD", "p", "10", "10", "m1"],
      ["GEOSEARCHSTORE", "d3", "p", "FROMLONLAT", "10", "10", "BYRADIUS", "1", "km"],
      ["EXEC"],
      ["EVAL", "redis.call('GEOADD', KEYS[1], 20, 20, 's1'); return redis.call('GEORADIUS', KEYS[1], 20, 20, 1, 'km', 'STORE', 'd4')", "1", "p"],
    ];
    const runs: Record<string, { replies: string[]; lines: string[] }> = {};
    for (const flavor of ["bunker", "redis"] as Flavor[]) {
      const server = await startFlavor(flavor, ["--appendonly", "yes", "--appendfsync", "always"]);
      started.push(server);
      const client = await RawClient.connect(server.port);
      const replies: string[] = [];
      for (const command of script) replies.push(await client.callRaw(...command));
      client.close();
      runs[flavor] = { replies, lines: parseAofCommands(readFileSync(join(server.dir, "appendonlydir", "appendonly.aof.1.incr.aof"))).map(renderCommand) };
    }
    expect(runs.bunker!.replies).toEqual(runs.redis!.replies);
    expect(runs.bunker!.lines).toEqual(runs.redis!.lines);
    // The edge of the map: 180,85.05112878 is 3 * 2^52, a score beyond 52 bits.
    expect(runs.redis!.lines).toContain('"zadd","p","ch","Nx","3479099956230698","Palermo","13510798882111488","corner","4146188286685114","edge"');
  });
});
