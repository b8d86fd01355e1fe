// GEO commands: GEOADD, GEOPOS, GEODIST, GEOHASH, and the searches GEORADIUS[_RO],
// GEORADIUSBYMEMBER[_RO], GEOSEARCH and GEOSEARCHSTORE (Redis 7.0's geo.c).
//
// A geo set is a plain sorted set whose scores are 52-bit geohashes (src/db/geohash.ts
// has the math). GEOADD is ZADD with the coordinates turned into scores: it runs
// Bunker's ZADD on the rewritten arguments and propagates that ZADD, as Redis does. A
// search reads the score ranges of up to nine geohash cells around the centre, keeps
// the members inside the circle or box, sorts them by distance when asked (or when
// COUNT is given without ANY) and replies them or stores them (STORE / STOREDIST,
// GEOSEARCHSTORE) as a new sorted set.
//
// What clients see follows Redis byte for byte: distances are printed with four
// decimals (fixedpoint_d2string), coordinates as "%.17Lf" of the decoded double with
// the trailing zeros cut, and COUNT below the number of matches sorts with Redis's
// partial quicksort (src/util/pqsort.ts), whose order among equal distances is its own.

import type { CommandSpec } from "./table.ts";
import type { Client } from "../net/client.ts";
import { argIsCString, bytesToKey, textToBytes } from "../db/bytes.ts";
import { checkType, intArg, keyChanged, propagateAs, replyError } from "./context.ts";
import { convertResultToListpackIfFits, listpackLimits, zaddGeneric } from "./zsets.ts";
import { SHARED } from "../propagate.ts";
import * as errors from "../errors.ts";
import { NOTIFY_GENERIC, NOTIFY_ZSET } from "../notify.ts";
import { formatFixedPoint, formatPrintfFixed, parseDouble } from "../util/float.ts";
import { pqsort } from "../util/pqsort.ts";
import { RedisZSet } from "../db/zset.ts";
import {
  cellScoreRange,
  decodeScore,
  distance,
  distanceIfWithin,
  GEO_LAT_MAX,
  GEO_LAT_MIN,
  GEO_LONG_MAX,
  GEO_LONG_MIN,
  geoScoreText,
  isNoCell,
  searchCells,
  standardGeohashText,
  type GeoHashBits,
  type GeoShape,
} from "../db/geohash.ts";

const UNSUPPORTED_UNIT = "ERR unsupported unit provided. please use M, KM, FT, MI";
const UNDECODABLE_MEMBER = "ERR could not decode requested zset member";

// ---- argument helpers -----------------------------------------------------------------

/** The value as a sorted set: undefined when missing, null after replying WRONGTYPE. */
function asZset(client: Client, key: Uint8Array): RedisZSet | undefined | null {
  return checkType(client, client.db.lookupRead(bytesToKey(key)), RedisZSet);
}

/** getDoubleFromObjectOrReply: a double argument, or null after replying `message`. */
function doubleArg(client: Client, arg: Uint8Array, message: string = errors.NOT_FLOAT): number | null {
  const value = parseDouble(arg);
  if (value === null) replyError(client, message);
  return value;
}

/** extractLongLatOrReply: argv[at] and argv[at + 1] as a longitude and latitude within the WGS84 limits. */
function longLatArgs(client: Client, argv: Uint8Array[], at: number): [number, number] | null {
  const longitude = doubleArg(client, argv[at]!);
  if (longitude === null) return null;
  const latitude = doubleArg(client, argv[at + 1]!);
  if (latitude === null) return null;
  if (longitude < GEO_LONG_MIN || longitude > GEO_LONG_MAX || latitude < GEO_LAT_MIN || latitude > GEO_LAT_MAX) {
    replyError(client, `ERR invalid longitude,latitude pair ${formatPrintfFixed(longitude)},${formatPrintfFixed(latitude)}`);
    return null;
  }
  return [longitude, latitude];
}

/** extractUnitOrReply: meters per unit, or null after replying. Units are case-insensitive since 7.0. */
function unitArg(client: Client, arg: Uint8Array): number | null {
  if (argIsCString(arg, "m")) return 1;
  if (argIsCString(arg, "km")) return 1000;
  if (argIsCString(arg, "ft")) return 0.3048;
  if (argIsCString(arg, "mi")) return 1609.34;
  replyError(client, UNSUPPORTED_UNIT);
  return null;
}

/** extractDistanceOrReply: "<radius> <unit>" into the shape. */
function radiusArgs(client: Client, argv: Uint8Array[], at: number, shape: GeoShape): boolean {
  const radius = doubleArg(client, argv[at]!, "ERR need numeric radius");
  if (radius === null) return false;
  if (radius < 0) {
    replyError(client, "ERR radius cannot be negative");
    return false;
  }
  shape.radius = radius;
  const conversion = unitArg(client, argv[at + 1]!);
  if (conversion === null) return false;
  shape.conversion = conversion;
  return true;
}

/** extractBoxOrReply: "<width> <height> <unit>" into the shape. */
function boxArgs(client: Client, argv: Uint8Array[], at: number, shape: GeoShape): boolean {
  const width = doubleArg(client, argv[at]!, "ERR need numeric width");
  if (width === null) return false;
  const height = doubleArg(client, argv[at + 1]!, "ERR need numeric height");
  if (height === null) return false;
  if (height < 0 || width < 0) {
    replyError(client, "ERR height or width cannot be negative");
    return false;
  }
  shape.width = width;
  shape.height = height;
  const conversion = unitArg(client, argv[at + 2]!);
  if (conversion === null) return false;
  shape.conversion = conversion;
  return true;
}

/** longLatFromMember: the decoded position of a member, or null when it is not in the set. */
function memberPosition(zset: RedisZSet, member: Uint8Array): Float64Array | null {
  const score = zset.score(bytesToKey(member));
  if (score === undefined) return null;
  const xy = new Float64Array(2);
  decodeScore(score, xy);
  return xy;
}

// ---- GEOADD -------------------------------------------------------------------------------

/**
 * geoaddCommand: GEOADD key [NX|XX] [CH] lon lat member... is run as ZADD key [options]
 * score member... (the options as given, the scores as decimal integers), which is
 * also what is propagated. Nothing is added when any coordinate is invalid.
 */
function geoadd(client: Client, argv: Uint8Array[]): void {
  let xx = false;
  let nx = false;
  let longitudeIndex = 2;
  for (; longitudeIndex < argv.length; longitudeIndex++) {
    const option = argv[longitudeIndex]!;
    if (argIsCString(option, "nx")) nx = true;
    else if (argIsCString(option, "xx")) xx = true;
    else if (!argIsCString(option, "ch")) break;
  }
  if ((argv.length - longitudeIndex) % 3 !== 0 || (xx && nx)) {
    replyError(client, errors.SYNTAX_ERROR);
    return;
  }
  const zaddArgv: Uint8Array[] = [SHARED.zadd];
  for (let i = 1; i < longitudeIndex; i++) zaddArgv.push(argv[i]!);
  for (let at = longitudeIndex; at < argv.length; at += 3) {
    const point = longLatArgs(client, argv, at);
    if (point === null) return;
    zaddArgv.push(textToBytes(geoScoreText(point[0], point[1])), argv[at + 2]!);
  }
  propagateAs(client, () => zaddArgv);
  zaddGeneric(client, zaddArgv, false);
}

// ---- GEOPOS, GEODIST, GEOHASH ---------------------------------------------------------------

/** GEOPOS and GEOHASH: an array with one entry per member, written from its position (null when absent). */
function replyPerMember(client: Client, argv: Uint8Array[], write: (xy: Float64Array | null) => void): void {
  const zset = asZset(client, argv[1]!);
  if (zset === null) return;
  client.reply.arrayHeader(argv.length - 2);
  for (let j = 2; j < argv.length; j++) write(zset === undefined ? null : memberPosition(zset, argv[j]!));
}

function geopos(client: Client, argv: Uint8Array[]): void {
  const reply = client.reply;
  replyPerMember(client, argv, (xy) => {
    if (xy === null) {
      reply.nullArray();
      return;
    }
    reply.arrayHeader(2);
    reply.humanDouble(xy[0]!);
    reply.humanDouble(xy[1]!);
  });
}

/** GEODIST key member1 member2 [unit]: the unit is checked before the key is read. */
function geodist(client: Client, argv: Uint8Array[]): void {
  let toMeters = 1;
  if (argv.length === 5) {
    const unit = unitArg(client, argv[4]!);
    if (unit === null) return;
    toMeters = unit;
  } else if (argv.length > 5) {
    replyError(client, errors.SYNTAX_ERROR);
    return;
  }
  const zset = asZset(client, argv[1]!);
  if (zset === null) return;
  const first = zset === undefined ? null : memberPosition(zset, argv[2]!);
  const second = zset === undefined || first === null ? null : memberPosition(zset, argv[3]!);
  if (first === null || second === null) {
    client.reply.nullBulk();
    return;
  }
  client.reply.bulkText(formatFixedPoint(distance(first[0]!, first[1]!, second[0]!, second[1]!) / toMeters, 4));
}

function geohash(client: Client, argv: Uint8Array[]): void {
  const reply = client.reply;
  replyPerMember(client, argv, (xy) => {
    const text = xy === null ? null : standardGeohashText(xy[0]!, xy[1]!);
    if (text === null) reply.nullBulk();
    else reply.bulkText(text);
  });
}

// ---- the searches ---------------------------------------------------------------------------

/** A member found by a search: its decoded position, distance from the centre and score. */
interface GeoPoint {
  member: string;
  longitude: number;
  latitude: number;
  /** Meters while searching; in the command's unit once the results are written. */
  dist: number;
  score: number;
}

/**
 * geoGetPointsInRange: appends the members of one cell (the score range [min, max)) that
 * are inside the shape. With a `limit` (COUNT ... ANY) it stops once that many were found.
 */
function pointsInCell(zset: RedisZSet, cell: GeoHashBits, shape: GeoShape, found: GeoPoint[], limit: number, xy: Float64Array): void {
  const [min, max] = cellScoreRange(cell);
  for (const [member, score] of zset.rangeByScore(min, max, false, true)) {
    decodeScore(score, xy);
    const dist = distanceIfWithin(shape, xy[0]!, xy[1]!);
    if (dist !== -1) found.push({ member, longitude: xy[0]!, latitude: xy[1]!, dist, score });
    if (found.length > 0 && limit > 0 && found.length >= limit) break;
  }
}

/**
 * membersOfAllNeighbors: the matches of the centre cell and its neighbours, in that order.
 * A cell equal to the one searched just before is skipped (huge radii make neighbours
 * coincide); as in Redis, "just before" is unset until a cell other than the centre's was searched.
 */
function membersOfAllCells(zset: RedisZSet, cells: GeoHashBits[], shape: GeoShape, limit: number): GeoPoint[] {
  const found: GeoPoint[] = [];
  const xy = new Float64Array(2);
  let lastProcessed = 0;
  for (let i = 0; i < cells.length; i++) {
    const cell = cells[i]!;
    if (isNoCell(cell)) continue;
    const previous = cells[lastProcessed]!;
    if (lastProcessed !== 0 && cell.bits === previous.bits && cell.step === previous.step) continue;
    if (found.length > 0 && limit > 0 && found.length >= limit) break;
    pointsInCell(zset, cell, shape, found, limit, xy);
    lastProcessed = i;
  }
  return found;
}

/** sort_gp_asc: by distance only, so equal distances keep (qsort) or lose (pqsort) their order. */
function byDistanceAscending(a: GeoPoint, b: GeoPoint): number {
  if (a.dist > b.dist) return 1;
  if (a.dist === b.dist) return 0;
  return -1;
}

function byDistanceDescending(a: GeoPoint, b: GeoPoint): number {
  return -byDistanceAscending(a, b);
}

/** Which command runs georadiusGeneric, as Redis's flags. */
interface SearchKind {
  /** GEORADIUS[_RO]: centre and radius are positional. */
  fromCoordinates?: boolean;
  /** GEORADIUSBYMEMBER[_RO]: the centre is a member. */
  fromMember?: boolean;
  /** The _RO variants refuse STORE and STOREDIST. */
  noStore?: boolean;
  /** GEOSEARCH and GEOSEARCHSTORE: FROMMEMBER/FROMLONLAT and BYRADIUS/BYBOX options. */
  search?: boolean;
  /** GEOSEARCHSTORE: the destination comes first, STOREDIST is a bare flag. */
  searchStore?: boolean;
}

type SortOrder = "none" | "asc" | "desc";

/**
 * georadiusGeneric: every search command. The source is looked up first (WRONGTYPE before
 * any argument error); the centre and the options are parsed in Redis's order, so that
 * the first error Redis would report is the one reported; a missing source answers an
 * empty array (or deletes the destination and answers 0) only once the options parsed.
 */
function georadiusGeneric(client: Client, argv: Uint8Array[], sourceIndex: number, kind: SearchKind): void {
  const zset = asZset(client, argv[sourceIndex]!);
  if (zset === null) return;

  const shape: GeoShape = { kind: "radius", longitude: 0, latitude: 0, conversion: 0, radius: 0, width: 0, height: 0 };
  let storeKey: Uint8Array | null = null;
  let storeDistances = false;
  let baseArgs: number;
  if (kind.fromCoordinates) {
    baseArgs = 6;
    const point = longLatArgs(client, argv, 2);
    if (point === null) return;
    [shape.longitude, shape.latitude] = point;
    if (!radiusArgs(client, argv, baseArgs - 2, shape)) return;
  } else if (kind.fromMember) {
    baseArgs = 5;
    // Without a source nothing is searched, but the options still decide the reply.
    if (zset !== undefined) {
      const xy = memberPosition(zset, argv[2]!);
      if (xy === null) {
        replyError(client, UNDECODABLE_MEMBER);
        return;
      }
      [shape.longitude, shape.latitude] = xy;
      if (!radiusArgs(client, argv, baseArgs - 2, shape)) return;
    }
  } else {
    baseArgs = 2;
    if (kind.searchStore) {
      baseArgs = 3;
      storeKey = argv[1]!;
    }
  }

  let withDist = false;
  let withHash = false;
  let withCoords = false;
  let fromMember = false;
  let fromLocation = false;
  let byRadius = false;
  let byBox = false;
  let sort: SortOrder = "none";
  let any = false;
  let count = 0;
  for (let i = baseArgs; i < argv.length; i++) {
    const option = argv[i]!;
    const following = argv.length - i - 1;
    if (argIsCString(option, "withdist")) withDist = true;
    else if (argIsCString(option, "withhash")) withHash = true;
    else if (argIsCString(option, "withcoord")) withCoords = true;
    else if (argIsCString(option, "any")) any = true;
    else if (argIsCString(option, "asc")) sort = "asc";
    else if (argIsCString(option, "desc")) sort = "desc";
    else if (argIsCString(option, "count") && following >= 1) {
      const parsed = intArg(client, argv[i + 1]!);
      if (parsed === null) return;
      if (parsed <= 0) {
        replyError(client, "ERR COUNT must be > 0");
        return;
      }
      count = parsed;
      i++;
    } else if (argIsCString(option, "store") && following >= 1 && !kind.noStore && !kind.search) {
      storeKey = argv[++i]!;
      storeDistances = false;
    } else if (argIsCString(option, "storedist") && following >= 1 && !kind.noStore && !kind.search) {
      storeKey = argv[++i]!;
      storeDistances = true;
    } else if (argIsCString(option, "storedist") && kind.search && kind.searchStore) {
      storeDistances = true;
    } else if (argIsCString(option, "frommember") && following >= 1 && kind.search && !fromLocation) {
      if (zset !== undefined) {
        const xy = memberPosition(zset, argv[i + 1]!);
        if (xy === null) {
          replyError(client, UNDECODABLE_MEMBER);
          return;
        }
        [shape.longitude, shape.latitude] = xy;
      }
      fromMember = true;
      i++;
    } else if (argIsCString(option, "fromlonlat") && following >= 2 && kind.search && !fromMember) {
      const point = longLatArgs(client, argv, i + 1);
      if (point === null) return;
      [shape.longitude, shape.latitude] = point;
      fromLocation = true;
      i += 2;
    } else if (argIsCString(option, "byradius") && following >= 2 && kind.search && !byBox) {
      if (!radiusArgs(client, argv, i + 1, shape)) return;
      shape.kind = "radius";
      byRadius = true;
      i += 2;
    } else if (argIsCString(option, "bybox") && following >= 3 && kind.search && !byRadius) {
      if (!boxArgs(client, argv, i + 1, shape)) return;
      shape.kind = "box";
      byBox = true;
      i += 3;
    } else {
      replyError(client, errors.SYNTAX_ERROR);
      return;
    }
  }

  if (storeKey !== null && (withDist || withHash || withCoords)) {
    const what = kind.searchStore ? "GEOSEARCHSTORE" : "STORE option in GEORADIUS";
    replyError(client, `ERR ${what} is not compatible with WITHDIST, WITHHASH and WITHCOORD options`);
    return;
  }
  // Redis prints the command name as it was sent.
  const commandName = bytesToKey(argv[0]!);
  if (kind.search && !(fromMember || fromLocation)) {
    replyError(client, `ERR exactly one of FROMMEMBER or FROMLONLAT can be specified for ${commandName}`);
    return;
  }
  if (kind.search && !(byRadius || byBox)) {
    replyError(client, `ERR exactly one of BYRADIUS and BYBOX can be specified for ${commandName}`);
    return;
  }
  if (any && count === 0) {
    replyError(client, "ERR the ANY argument requires COUNT argument");
    return;
  }

  if (zset === undefined) {
    if (storeKey === null) client.reply.emptyArray();
    else {
      deleteDestination(client, bytesToKey(storeKey));
      client.reply.integer(0);
    }
    return;
  }

  // The N closest need a sort; ANY takes the first N found instead.
  if (count !== 0 && sort === "none" && !any) sort = "asc";

  const points = membersOfAllCells(zset, searchCells(shape), shape, any ? count : 0);
  if (points.length === 0 && storeKey === null) {
    client.reply.emptyArray();
    return;
  }
  const returned = count === 0 || points.length < count ? points.length : count;
  if (sort !== "none") {
    const compare = sort === "asc" ? byDistanceAscending : byDistanceDescending;
    // glibc's qsort is a (stable) merge sort, as Array#sort is; pqsort is not stable.
    if (returned === points.length) points.sort(compare);
    else pqsort(points, compare, 0, returned - 1);
  }

  if (storeKey === null) replySearchResults(client, points, returned, shape.conversion, withDist, withHash, withCoords);
  else storeSearchResults(client, bytesToKey(storeKey), points, returned, shape.conversion, storeDistances, kind.search === true);
}

/** A member alone, or [member, distance?, hash?, [longitude, latitude]?] with options. */
function replySearchResults(
  client: Client,
  points: GeoPoint[],
  returned: number,
  conversion: number,
  withDist: boolean,
  withHash: boolean,
  withCoords: boolean,
): void {
  const reply = client.reply;
  const options = (withDist ? 1 : 0) + (withHash ? 1 : 0) + (withCoords ? 1 : 0);
  reply.arrayHeader(returned);
  for (let i = 0; i < returned; i++) {
    const point = points[i]!;
    if (options > 0) reply.arrayHeader(options + 1);
    reply.bulkText(point.member);
    if (withDist) reply.bulkText(formatFixedPoint(point.dist / conversion, 4));
    if (withHash) reply.integer(scoreAsLongLong(point.score));
    if (withCoords) {
      reply.arrayHeader(2);
      reply.humanDouble(point.longitude);
      reply.humanDouble(point.latitude);
    }
  }
}

/** C's (long long) of a score: truncation, and LLONG_MIN out of range (x86-64's cvttsd2si). */
function scoreAsLongLong(score: number): number | bigint {
  if (score >= 2 ** 63 || !(score > -(2 ** 63) - 1)) return -(2n ** 63n);
  const integer = Math.trunc(score);
  return Number.isSafeInteger(integer) ? integer : BigInt(integer);
}

/**
 * STORE / STOREDIST / GEOSEARCHSTORE: the first `returned` points become the destination
 * sorted set (scores are the geohashes, or the distances in the command's unit), built
 * as a skiplist and made a listpack when it fits, as Redis does. Every stored member
 * counts as a change; an empty result deletes the destination.
 */
function storeSearchResults(
  client: Client,
  destination: string,
  points: GeoPoint[],
  returned: number,
  conversion: number,
  storeDistances: boolean,
  search: boolean,
): void {
  if (returned > 0) {
    const result = new RedisZSet("skiplist", returned);
    for (let i = 0; i < returned; i++) {
      const point = points[i]!;
      result.add(point.member, storeDistances ? point.dist / conversion : point.score);
    }
    convertResultToListpackIfFits(result, listpackLimits(client));
    client.db.setKey(destination, result);
    keyChanged(client, NOTIFY_ZSET, search ? "geosearchstore" : "georadiusstore", destination, returned);
  } else deleteDestination(client, destination);
  client.reply.integer(returned);
}

function deleteDestination(client: Client, destination: string): void {
  if (client.db.dbDelete(destination)) keyChanged(client, NOTIFY_GENERIC, "del", destination);
}

/**
 * georadiusGetKeys as Redis 7.0 answers COMMAND GETKEYS (through its key specs): the
 * source, then the key after the first STORE and the key after the first STOREDIST,
 * each searched from `from` and never in the last argument.
 */
function georadiusKeys(from: number): (argv: Uint8Array[]) => number[] {
  return (argv) => {
    const keys = [1];
    for (const keyword of ["store", "storedist"]) {
      for (let i = from; i < argv.length - 1; i++) {
        if (argIsCString(argv[i]!, keyword)) {
          keys.push(i + 1);
          break;
        }
      }
    }
    return keys;
  };
}

// ---- declarations ---------------------------------------------------------------------------

const G = { categories: ["geo"], group: "geo" };
const single = { firstKey: 1, lastKey: 1, keyStep: 1 };

const RADIUS_COMPLEXITY =
  "O(N+log(M)) where N is the number of elements inside the bounding box of the circular area delimited by center and radius and M is the number of items inside the index.";
const SEARCH_COMPLEXITY =
  "O(N+log(M)) where N is the number of elements in the grid-aligned bounding box area around the shape provided as the filter and M is the number of items inside the shape";
const RADIUS_SUMMARY = "Query a sorted set representing a geospatial index to fetch members matching a given maximum distance from a point";
const BY_MEMBER_SUMMARY = "Query a sorted set representing a geospatial index to fetch members matching a given maximum distance from a member";

export const geoCommands: CommandSpec[] = [
  {
    name: "geoadd", arity: -5, flags: ["write", "denyoom"], ...single, ...G, since: "3.2.0",
    summary: "Add one or more geospatial items in the geospatial index represented using a sorted set",
    complexity: "O(log(N)) for each item added, where N is the number of elements in the sorted set.",
    handler: geoadd,
  },
  {
    name: "geodist", arity: -4, flags: ["readonly"], ...single, ...G, since: "3.2.0",
    summary: "Returns the distance between two members of a geospatial index", complexity: "O(log(N))",
    handler: geodist,
  },
  {
    name: "geohash", arity: -2, flags: ["readonly"], ...single, ...G, since: "3.2.0",
    summary: "Returns members of a geospatial index as standard geohash strings", complexity: "O(log(N)) for each member requested, where N is the number of elements in the sorted set.",
    handler: geohash,
  },
  {
    name: "geopos", arity: -2, flags: ["readonly"], ...single, ...G, since: "3.2.0",
    summary: "Returns longitude and latitude of members of a geospatial index", complexity: "O(N) where N is the number of members requested.",
    handler: geopos,
  },
  {
    name: "georadius", arity: -6, flags: ["write", "denyoom"], ...single, ...G, since: "3.2.0",
    summary: RADIUS_SUMMARY, complexity: RADIUS_COMPLEXITY,
    getKeys: georadiusKeys(6),
    handler: (c, a) => georadiusGeneric(c, a, 1, { fromCoordinates: true }),
  },
  {
    name: "georadius_ro", arity: -6, flags: ["readonly"], ...single, ...G, since: "3.2.10",
    summary: "A read-only variant for GEORADIUS", complexity: RADIUS_COMPLEXITY,
    handler: (c, a) => georadiusGeneric(c, a, 1, { fromCoordinates: true, noStore: true }),
  },
  {
    name: "georadiusbymember", arity: -5, flags: ["write", "denyoom"], ...single, ...G, since: "3.2.0",
    summary: BY_MEMBER_SUMMARY, complexity: "O(N+log(M)) where N is the number of elements inside the bounding box of the circular area delimited by center and radius and M is the number of items inside the index.",
    getKeys: georadiusKeys(5),
    handler: (c, a) => georadiusGeneric(c, a, 1, { fromMember: true }),
  },
  {
    name: "georadiusbymember_ro", arity: -5, flags: ["readonly"], ...single, ...G, since: "3.2.10",
    summary: "A read-only variant for GEORADIUSBYMEMBER", complexity: "O(N+log(M)) where N is the number of elements inside the bounding box of the circular area delimited by center and radius and M is the number of items inside the index.",
    handler: (c, a) => georadiusGeneric(c, a, 1, { fromMember: true, noStore: true }),
  },
  {
    name: "geosearch", arity: -7, flags: ["readonly"], ...single, ...G, since: "6.2.0",
    summary: "Query a sorted set representing a geospatial index to fetch members inside an area of a box or a circle.", complexity: SEARCH_COMPLEXITY,
    handler: (c, a) => georadiusGeneric(c, a, 1, { search: true }),
  },
  {
    name: "geosearchstore", arity: -8, flags: ["write", "denyoom"], firstKey: 1, lastKey: 2, keyStep: 1, ...G, since: "6.2.0",
    summary: "Query a sorted set representing a geospatial index to fetch members inside an area of a box or a circle, and store the result in another key.", complexity: SEARCH_COMPLEXITY,
    handler: (c, a) => georadiusGeneric(c, a, 2, { search: true, searchStore: true }),
  },
];
