// GEO commands against redis-server 7.0.15, reply bytes compared: GEOADD/GEOPOS/GEODIST/
// GEOHASH, and the searches (GEORADIUS[_RO], GEORADIUSBYMEMBER[_RO], GEOSEARCH,
// GEOSEARCHSTORE) over seeded random points and queries with every option, in RESP2
// and RESP3; the edges of the map (poles, the antimeridian), radius 0 and huge radii,
// members at the same place (equal scores, where COUNT's partial sort decides the
// order), argument errors, wrong types and missing keys; STORE/STOREDIST results and
// their encodings, keyspace events, dirty counts, commandstats, COMMAND INFO/DOCS/GETKEYS.

import { describe, expect, test } from "bun:test";
import { compareScript, dirtyOf, haveRedis, usePair, type CommandArgs, type Pair } from "../helpers/differential.ts";
import { RawClient } from "../helpers/server.ts";
import { seededRandom } from "../helpers/random.ts";

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
    for (const seed of [1, 2, 3]) {
      const g = generator(seed);
      const members = 400;
      const setup: CommandArgs[] = [["DEL", "pts"], ["GEOADD", "pts", ...randomPoints(g, members, "p")], ["ZCARD", "pts"]];
      expect(await compareScript(pair(), setup)).toEqual([]);
      expect(await pair().b.call("ZCARD", "pts")).toBe(members);
      const searches: CommandArgs[] = [];
      for (let i = 0; i < 250; i++) searches.push(randomSearch(g, "pts", members, "p"));
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
});
