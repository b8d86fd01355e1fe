// Redis's geohash: how a longitude/latitude becomes a sorted set score, and how a
// radius or box search becomes nine score ranges (Redis's geohash.c and
// geohash_helper.c, re-derived here so that scores, search areas, distances and
// therefore results and their order are the same bits as Redis's).
//
// The encoding. Longitude [-180, 180] and latitude [-85.05112878, 85.05112878] (the
// Web Mercator limits: the poles cannot be indexed) are each scaled to [0, 2^step]
// and truncated to an integer; the two are interleaved, latitude on the even bits and
// longitude on the odd ones, so a prefix of the bits is a cell of the grid at a
// coarser step. GEOADD stores step 26, 52 bits, as the member's score (a double holds
// 53 bits exactly). A coordinate exactly on the upper limit scales to 2^26 itself and
// sets bit 52 or 53: Redis keeps that quirk (such a score may round when it becomes a
// double), and so do we.
//
// The search. For a radius r (or a box's half diagonal) around a centre, a step is
// estimated such that a cell is about as large as the area (estimateStepsByRadius),
// the centre's cell and its eight neighbours at that step are computed, a step is
// given up when a neighbour does not reach the bounding box of the area, and the
// neighbours wholly outside the box are dropped. Each remaining cell is one score range
// [cell << (52 - 2 step), (cell + 1) << (52 - 2 step)) of the sorted set; each member
// found there is decoded to the centre of its step-26 cell and kept when its haversine
// distance (or its latitude and longitude distances, for a box) is within bounds.
//
// Arithmetic. A 64-bit geohash is a bigint where the search area is worked out (a few
// dozen operations per query) and a pair of 32-bit halves on the per-member paths
// (GEOADD's encoding, decoding each candidate). Every floating-point expression is
// written in Redis's order of operations, since a distance on the edge of a radius or
// a tie in the sort must come out the same; glibc's libm, which Redis calls, is also
// what Bun's Math functions call, and both give the same sin/cos/asin bits.

export const GEO_STEP_MAX = 26;
export const GEO_LAT_MIN = -85.05112878;
export const GEO_LAT_MAX = 85.05112878;
export const GEO_LONG_MIN = -180;
export const GEO_LONG_MAX = 180;

/** Redis's EARTH_RADIUS_IN_METERS: the quadratic mean radius of WGS-84. */
const EARTH_RADIUS_IN_METERS = 6372797.560856;
/** Half the Web Mercator world width in meters: the largest radius a step can stand for. */
const MERCATOR_MAX = 20037726.37;
/** D_R in geohash_helper.c: M_PI / 180.0 as a double. */
const D_R = Math.PI / 180.0;

const TWO_POW_32 = 4294967296;

export interface GeoRange {
  min: number;
  max: number;
}

/** A cell: its interleaved bits (2 * step of them) and its step. bits 0, step 0 is "no cell". */
export interface GeoHashBits {
  bits: bigint;
  step: number;
}

export interface GeoHashArea {
  hash: GeoHashBits;
  longitude: GeoRange;
  latitude: GeoRange;
}

export const WGS84_LONGITUDE: Readonly<GeoRange> = Object.freeze({ min: GEO_LONG_MIN, max: GEO_LONG_MAX });
export const WGS84_LATITUDE: Readonly<GeoRange> = Object.freeze({ min: GEO_LAT_MIN, max: GEO_LAT_MAX });

const NO_CELL: Readonly<GeoHashBits> = Object.freeze({ bits: 0n, step: 0 });

export function isNoCell(hash: GeoHashBits): boolean {
  return hash.bits === 0n && hash.step === 0;
}

function degToRad(degrees: number): number {
  return degrees * D_R;
}

function radToDeg(radians: number): number {
  return radians / D_R;
}

// ---- interleaving -------------------------------------------------------------------

/** The 16 low bits of v spread to the even bit positions of a 32-bit word. */
function spread16(v: number): number {
  v = (v | (v << 8)) & 0x00ff00ff;
  v = (v | (v << 4)) & 0x0f0f0f0f;
  v = (v | (v << 2)) & 0x33333333;
  return (v | (v << 1)) & 0x55555555;
}

/** The even bits of a 32-bit word gathered into 16 bits (spread16 undone). */
function compact16(v: number): number {
  v &= 0x55555555;
  v = (v | (v >>> 1)) & 0x33333333;
  v = (v | (v >>> 2)) & 0x0f0f0f0f;
  v = (v | (v >>> 4)) & 0x00ff00ff;
  return (v | (v >>> 8)) & 0x0000ffff;
}

/** interleave64 as two 32-bit halves: x (latitude) on the even bits, y (longitude) on the odd. */
function interleaveHigh(x: number, y: number): number {
  return (spread16(x >>> 16) | (spread16(y >>> 16) << 1)) >>> 0;
}

function interleaveLow(x: number, y: number): number {
  return (spread16(x & 0xffff) | (spread16(y & 0xffff) << 1)) >>> 0;
}

/** deinterleave64's latitude (even bits) of the 64-bit value high:low. */
function evenBits(high: number, low: number): number {
  return (compact16(low) | (compact16(high) << 16)) >>> 0;
}

/** deinterleave64's longitude (odd bits). */
function oddBits(high: number, low: number): number {
  return (compact16(low >>> 1) | (compact16(high >>> 1) << 16)) >>> 0;
}

// ---- encoding -----------------------------------------------------------------------

/**
 * The fixed-point offsets geohashEncode interleaves, or null where it refuses (outside
 * the WGS84 limits or the given ranges). C converts each offset to uint32 by truncation.
 */
function encodeOffsets(longRange: GeoRange, latRange: GeoRange, longitude: number, latitude: number, step: number): [number, number] | null {
  if (step > 32 || step === 0) return null;
  if (longitude > GEO_LONG_MAX || longitude < GEO_LONG_MIN || latitude > GEO_LAT_MAX || latitude < GEO_LAT_MIN) return null;
  if (latitude < latRange.min || latitude > latRange.max || longitude < longRange.min || longitude > longRange.max) return null;
  let latOffset = (latitude - latRange.min) / (latRange.max - latRange.min);
  let longOffset = (longitude - longRange.min) / (longRange.max - longRange.min);
  const scale = 2 ** step;
  latOffset *= scale;
  longOffset *= scale;
  return [latOffset >>> 0, longOffset >>> 0];
}

/** geohashEncode: the cell of a point at `step`, or null where Redis's encoder refuses. */
export function encode(longRange: GeoRange, latRange: GeoRange, longitude: number, latitude: number, step: number): GeoHashBits | null {
  const offsets = encodeOffsets(longRange, latRange, longitude, latitude, step);
  if (offsets === null) return null;
  const [lat, long] = offsets;
  const bits = (BigInt(interleaveHigh(lat, long)) << 32n) | BigInt(interleaveLow(lat, long));
  return { bits, step };
}

/**
 * GEOADD's score for a (validated) point: the step-26 hash aligned to 52 bits, as the
 * exact decimal integer Redis writes into the ZADD it runs and propagates.
 */
export function geoScoreText(longitude: number, latitude: number): string {
  const [lat, long] = encodeOffsets(WGS84_LONGITUDE, WGS84_LATITUDE, longitude, latitude, GEO_STEP_MAX)!;
  const high = interleaveHigh(lat, long);
  const low = interleaveLow(lat, long);
  // Below 2^53 the double is exact; the edge quirk (bit 52/53 set) may need more digits.
  if (high < 0x200000) return String(high * TWO_POW_32 + low);
  return ((BigInt(high) << 32n) | BigInt(low)).toString();
}

// ---- decoding -----------------------------------------------------------------------

/** The cell's bounds, from the cell's latitude and longitude integers. */
function decodeParts(longRange: GeoRange, latRange: GeoRange, lat: number, long: number, step: number): [GeoRange, GeoRange] {
  const latScale = latRange.max - latRange.min;
  const longScale = longRange.max - longRange.min;
  const cells = 2 ** step;
  // "+ 1" is uint32 arithmetic in C: it wraps for an all-ones value.
  const latitude = {
    min: latRange.min + (lat / cells) * latScale,
    max: latRange.min + (((lat + 1) >>> 0) / cells) * latScale,
  };
  const longitude = {
    min: longRange.min + (long / cells) * longScale,
    max: longRange.min + (((long + 1) >>> 0) / cells) * longScale,
  };
  return [longitude, latitude];
}

/** geohashDecode: the bounds of a cell. */
export function decode(longRange: GeoRange, latRange: GeoRange, hash: GeoHashBits): GeoHashArea {
  const high = Number((hash.bits >> 32n) & 0xffffffffn);
  const low = Number(hash.bits & 0xffffffffn);
  const [longitude, latitude] = decodeParts(longRange, latRange, evenBits(high, low), oddBits(high, low), hash.step);
  return { hash, longitude, latitude };
}

/**
 * The 64-bit integer C's (uint64_t) cast makes of a score, as high and low 32-bit
 * halves. On x86-64 a negative score goes through a signed conversion (-1 becomes all
 * ones), one at or beyond 2^64 becomes 0, and one below -2^63 (or -inf) 2^63. Only a
 * sorted set that was not written by GEOADD has such scores, and GEOPOS still decodes them.
 */
function scoreToUint64(score: number, out: Uint32Array): void {
  if (score >= 0 && score < 2 ** 64) {
    const integer = Math.trunc(score);
    const high = Math.floor(integer / TWO_POW_32);
    out[0] = high;
    out[1] = integer - high * TWO_POW_32;
    return;
  }
  let bits: bigint;
  if (score >= 2 ** 64) bits = 0n;
  else if (!(Math.trunc(score) >= -(2 ** 63))) bits = 1n << 63n;
  else bits = BigInt.asUintN(64, BigInt(Math.trunc(score)));
  out[0] = Number(bits >> 32n);
  out[1] = Number(bits & 0xffffffffn);
}

const scoreHalves = new Uint32Array(2);
const CELLS_AT_STEP_MAX = 2 ** GEO_STEP_MAX;
const LONG_SCALE = GEO_LONG_MAX - GEO_LONG_MIN;
const LAT_SCALE = GEO_LAT_MAX - GEO_LAT_MIN;

/**
 * decodeGeohash: the point a score stands for, the centre of its step-26 cell clamped
 * to the WGS84 limits, written to xy[0] (longitude) and xy[1] (latitude). Every score
 * decodes to some point.
 */
export function decodeScore(score: number, xy: Float64Array): void {
  scoreToUint64(score, scoreHalves);
  const high = scoreHalves[0]!;
  const low = scoreHalves[1]!;
  // decodeParts for the WGS84 ranges at step 26, without its objects (this runs per candidate).
  const lat = evenBits(high, low);
  const long = oddBits(high, low);
  const longMin = GEO_LONG_MIN + (long / CELLS_AT_STEP_MAX) * LONG_SCALE;
  const longMax = GEO_LONG_MIN + (((long + 1) >>> 0) / CELLS_AT_STEP_MAX) * LONG_SCALE;
  const latMin = GEO_LAT_MIN + (lat / CELLS_AT_STEP_MAX) * LAT_SCALE;
  const latMax = GEO_LAT_MIN + (((lat + 1) >>> 0) / CELLS_AT_STEP_MAX) * LAT_SCALE;
  let x = (longMin + longMax) / 2;
  if (x > GEO_LONG_MAX) x = GEO_LONG_MAX;
  if (x < GEO_LONG_MIN) x = GEO_LONG_MIN;
  let y = (latMin + latMax) / 2;
  if (y > GEO_LAT_MAX) y = GEO_LAT_MAX;
  if (y < GEO_LAT_MIN) y = GEO_LAT_MIN;
  xy[0] = x;
  xy[1] = y;
}

/**
 * GEOHASH's 11-character string: the point re-encoded with the standard latitude range
 * [-90, 90] at step 26, as ten base-32 characters and an eleventh that is always '0'
 * (52 bits make ten and two bits).
 */
export function standardGeohashText(longitude: number, latitude: number): string | null {
  const hash = encode({ min: -180, max: 180 }, { min: -90, max: 90 }, longitude, latitude, GEO_STEP_MAX);
  if (hash === null) return null;
  const alphabet = "0123456789bcdefghjkmnpqrstuvwxyz";
  let text = "";
  for (let i = 0; i < 10; i++) text += alphabet[Number((hash.bits >> BigInt(52 - (i + 1) * 5)) & 0x1fn)];
  return text + "0";
}

// ---- neighbours -----------------------------------------------------------------------

const EVEN_BITS = 0x5555555555555555n;
const ODD_BITS = 0xaaaaaaaaaaaaaaaan;

/** geohash_move_x / geohash_move_y: the cell `direction` (+1 / -1) away on one axis, wrapping. */
function moveAxis(hash: GeoHashBits, direction: number, axisBits: bigint, otherBits: bigint): GeoHashBits {
  if (direction === 0) return hash;
  const shift = BigInt(64 - hash.step * 2);
  let axis = hash.bits & axisBits;
  const other = hash.bits & otherBits;
  const filler = otherBits >> shift;
  if (direction > 0) axis = axis + (filler + 1n);
  else {
    axis = axis | filler;
    axis = axis - (filler + 1n);
  }
  axis &= axisBits >> shift;
  return { bits: axis | other, step: hash.step };
}

function move(hash: GeoHashBits, dx: number, dy: number): GeoHashBits {
  // Longitude (x) is on the odd bits, latitude (y) on the even ones.
  return moveAxis(moveAxis(hash, dx, ODD_BITS, EVEN_BITS), dy, EVEN_BITS, ODD_BITS);
}

export interface GeoHashNeighbors {
  north: GeoHashBits;
  south: GeoHashBits;
  east: GeoHashBits;
  west: GeoHashBits;
  northEast: GeoHashBits;
  northWest: GeoHashBits;
  southEast: GeoHashBits;
  southWest: GeoHashBits;
}

export function neighbors(hash: GeoHashBits): GeoHashNeighbors {
  return {
    east: move(hash, 1, 0),
    west: move(hash, -1, 0),
    south: move(hash, 0, -1),
    north: move(hash, 0, 1),
    northWest: move(hash, -1, 1),
    northEast: move(hash, 1, 1),
    southEast: move(hash, 1, -1),
    southWest: move(hash, -1, -1),
  };
}

// ---- the search area ------------------------------------------------------------------

/** A search: a circle (radius) or an axis-aligned box (width x height), in `conversion` units. */
export interface GeoShape {
  kind: "radius" | "box";
  longitude: number;
  latitude: number;
  /** Meters per unit: m 1, km 1000, ft 0.3048, mi 1609.34. */
  conversion: number;
  radius: number;
  width: number;
  height: number;
}

/** geohashEstimateStepsByRadius: the step whose cells are about as large as the area. */
export function estimateStepsByRadius(rangeMeters: number, latitude: number): number {
  if (rangeMeters === 0) return 26;
  let step = 1;
  while (rangeMeters < MERCATOR_MAX) {
    rangeMeters *= 2;
    step++;
  }
  step -= 2;
  // Cells narrow towards the poles: one or two steps coarser there.
  if (latitude > 66 || latitude < -66) {
    step--;
    if (latitude > 80 || latitude < -80) step--;
  }
  if (step < 1) step = 1;
  if (step > 26) step = 26;
  return step;
}

/**
 * geohashBoundingBox: [min longitude, min latitude, max longitude, max latitude] of the
 * area. The longitude span is taken on the parallel nearer the pole (the area's widest
 * in degrees), which is the northern edge north of the equator and the southern south of it.
 */
export function boundingBox(shape: GeoShape): [number, number, number, number] {
  const { longitude, latitude } = shape;
  const height = shape.conversion * (shape.kind === "radius" ? shape.radius : shape.height / 2);
  const width = shape.conversion * (shape.kind === "radius" ? shape.radius : shape.width / 2);
  const latDelta = radToDeg(height / EARTH_RADIUS_IN_METERS);
  const longDeltaTop = radToDeg(width / EARTH_RADIUS_IN_METERS / Math.cos(degToRad(latitude + latDelta)));
  const longDeltaBottom = radToDeg(width / EARTH_RADIUS_IN_METERS / Math.cos(degToRad(latitude - latDelta)));
  const southern = latitude < 0;
  return [
    southern ? longitude - longDeltaBottom : longitude - longDeltaTop,
    latitude - latDelta,
    southern ? longitude + longDeltaBottom : longitude + longDeltaTop,
    latitude + latDelta,
  ];
}

/**
 * geohashCalculateAreasByShapeWGS84: the cells to search, in Redis's order (the
 * centre's, then north, south, east, west, north-east, north-west, south-east,
 * south-west); a dropped neighbour is "no cell" (isNoCell).
 */
export function searchCells(shape: GeoShape): GeoHashBits[] {
  const [minLong, minLat, maxLong, maxLat] = boundingBox(shape);
  const radiusMeters =
    (shape.kind === "radius" ? shape.radius : Math.sqrt((shape.width / 2) * (shape.width / 2) + (shape.height / 2) * (shape.height / 2))) *
    shape.conversion;
  let steps = estimateStepsByRadius(radiusMeters, shape.latitude);
  let hash = encode(WGS84_LONGITUDE, WGS84_LATITUDE, shape.longitude, shape.latitude, steps)!;
  let around = neighbors(hash);
  let area = decode(WGS84_LONGITUDE, WGS84_LATITUDE, hash);

  // A neighbour that does not reach the bounding box means the cells are too small to
  // cover the area from where the centre lies in its cell: one step coarser then.
  const north = decode(WGS84_LONGITUDE, WGS84_LATITUDE, around.north);
  const south = decode(WGS84_LONGITUDE, WGS84_LATITUDE, around.south);
  const east = decode(WGS84_LONGITUDE, WGS84_LATITUDE, around.east);
  const west = decode(WGS84_LONGITUDE, WGS84_LATITUDE, around.west);
  const decreaseStep =
    north.latitude.max < maxLat || south.latitude.min > minLat || east.longitude.max < maxLong || west.longitude.min > minLong;
  if (steps > 1 && decreaseStep) {
    steps--;
    hash = encode(WGS84_LONGITUDE, WGS84_LATITUDE, shape.longitude, shape.latitude, steps)!;
    around = neighbors(hash);
    area = decode(WGS84_LONGITUDE, WGS84_LATITUDE, hash);
  }

  // Neighbours beyond the bounding box have nothing to find.
  if (steps >= 2) {
    if (area.latitude.min < minLat) around.south = around.southWest = around.southEast = NO_CELL;
    if (area.latitude.max > maxLat) around.north = around.northEast = around.northWest = NO_CELL;
    if (area.longitude.min < minLong) around.west = around.southWest = around.northWest = NO_CELL;
    if (area.longitude.max > maxLong) around.east = around.southEast = around.northEast = NO_CELL;
  }
  return [hash, around.north, around.south, around.east, around.west, around.northEast, around.northWest, around.southEast, around.southWest];
}

/**
 * scoresOfGeoHashBox: the score range [min, max) of the members inside a cell, as the
 * doubles C's uint64-to-double conversion makes of the aligned bits.
 */
export function cellScoreRange(hash: GeoHashBits): [number, number] {
  const shift = BigInt(52 - hash.step * 2);
  return [Number(hash.bits << shift), Number((hash.bits + 1n) << shift)];
}

// ---- distances --------------------------------------------------------------------------

/** geohashGetLatDistance: the distance along a meridian. */
export function latitudeDistance(lat1: number, lat2: number): number {
  return EARTH_RADIUS_IN_METERS * Math.abs(degToRad(lat2) - degToRad(lat1));
}

/** geohashGetDistance: the haversine great-circle distance in meters. */
export function distance(lon1: number, lat1: number, lon2: number, lat2: number): number {
  const lon1r = degToRad(lon1);
  const lon2r = degToRad(lon2);
  const v = Math.sin((lon2r - lon1r) / 2);
  // Same longitude: the formula reduces to the meridian distance (and Redis skips the trigonometry).
  if (v === 0.0) return latitudeDistance(lat1, lat2);
  const lat1r = degToRad(lat1);
  const lat2r = degToRad(lat2);
  const u = Math.sin((lat2r - lat1r) / 2);
  const a = u * u + Math.cos(lat1r) * Math.cos(lat2r) * v * v;
  return 2.0 * EARTH_RADIUS_IN_METERS * Math.asin(Math.sqrt(a));
}

/**
 * geoWithinShape's test for a decoded point: its distance from the centre in meters
 * when it is inside the shape, else -1. A box compares the latitude distance and the
 * longitude distance along the point's parallel with half the height and width.
 */
export function distanceIfWithin(shape: GeoShape, longitude: number, latitude: number): number {
  if (shape.kind === "radius") {
    const d = distance(shape.longitude, shape.latitude, longitude, latitude);
    return d > shape.radius * shape.conversion ? -1 : d;
  }
  const widthMeters = shape.width * shape.conversion;
  const heightMeters = shape.height * shape.conversion;
  if (latitudeDistance(latitude, shape.latitude) > heightMeters / 2) return -1;
  if (distance(longitude, latitude, shape.longitude, latitude) > widthMeters / 2) return -1;
  return distance(shape.longitude, shape.latitude, longitude, latitude);
}
