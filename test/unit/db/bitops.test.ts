// Tests of src/db/bitops.ts against answers of redis-server 7.0.15.
//
// The golden tables were produced by running each command on a real server
// (SET the string, then the command). The differential tests at the end replay
// random strings, ranges and BITFIELD programs when redis-server is installed.

import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import {
  bitcount,
  bitfieldIncrBy,
  bitfieldSetValue,
  bitop,
  bitpos,
  bytesNeededForBits,
  getBit,
  getBitfield,
  getBits,
  parseBitOffset,
  parseBitfieldType,
  popcount,
  setBit,
  setBits,
  type BitOperation,
  type BitUnit,
  type BitfieldOverflow,
  type BitfieldType,
} from "../../../src/db/bitops.ts";
import { Random } from "../../../src/util/random.ts";
import { RedisOracle, asLatin1, latin1, redisServerPath, type OracleReply } from "../util/redis-oracle.ts";

// [value, BITCOUNT arguments after the key, reply]
const BITCOUNT_GOLDEN: [string, string[], number][] = [
  ["", [], 0],
  ["", ["0", "-1"], 0],
  ["", ["1", "1"], 0],
  ["", ["-2", "-1"], 0],
  ["", ["-1", "-2"], 0],
  ["", ["5", "3"], 0],
  ["", ["-100", "100"], 0],
  ["", ["0", "0", "BIT"], 0],
  ["", ["1", "5", "BIT"], 0],
  ["", ["5", "30", "BIT"], 0],
  ["", ["-5", "-1", "BIT"], 0],
  ["", ["-1", "-5", "BIT"], 0],
  ["", ["7", "8", "BIT"], 0],
  ["", ["0", "-1", "BIT"], 0],
  ["", ["-9223372036854775808", "9223372036854775807"], 0],
  ["", ["-9223372036854775808", "-9223372036854775807"], 0],
  ["", ["-9223372036854775807", "-9223372036854775808"], 0],
  ["", ["2", "-9223372036854775808", "BIT"], 0],
  ["\xff\xf0\x00", [], 12],
  ["\xff\xf0\x00", ["0", "-1"], 12],
  ["\xff\xf0\x00", ["1", "1"], 4],
  ["\xff\xf0\x00", ["-2", "-1"], 4],
  ["\xff\xf0\x00", ["-1", "-2"], 0],
  ["\xff\xf0\x00", ["5", "3"], 0],
  ["\xff\xf0\x00", ["-100", "100"], 12],
  ["\xff\xf0\x00", ["0", "0", "BIT"], 1],
  ["\xff\xf0\x00", ["1", "5", "BIT"], 5],
  ["\xff\xf0\x00", ["5", "30", "BIT"], 7],
  ["\xff\xf0\x00", ["-5", "-1", "BIT"], 0],
  ["\xff\xf0\x00", ["-1", "-5", "BIT"], 0],
  ["\xff\xf0\x00", ["7", "8", "BIT"], 2],
  ["\xff\xf0\x00", ["0", "-1", "BIT"], 12],
  ["\xff\xf0\x00", ["-9223372036854775808", "9223372036854775807"], 12],
  ["\xff\xf0\x00", ["-9223372036854775808", "-9223372036854775807"], 8],
  ["\xff\xf0\x00", ["-9223372036854775807", "-9223372036854775808"], 0],
  ["\xff\xf0\x00", ["2", "-9223372036854775808", "BIT"], 0],
  ["\x00\x00\x00", [], 0],
  ["\x00\x00\x00", ["0", "-1"], 0],
  ["\x00\x00\x00", ["1", "1"], 0],
  ["\x00\x00\x00", ["-2", "-1"], 0],
  ["\x00\x00\x00", ["-1", "-2"], 0],
  ["\x00\x00\x00", ["5", "3"], 0],
  ["\x00\x00\x00", ["-100", "100"], 0],
  ["\x00\x00\x00", ["0", "0", "BIT"], 0],
  ["\x00\x00\x00", ["1", "5", "BIT"], 0],
  ["\x00\x00\x00", ["5", "30", "BIT"], 0],
  ["\x00\x00\x00", ["-5", "-1", "BIT"], 0],
  ["\x00\x00\x00", ["-1", "-5", "BIT"], 0],
  ["\x00\x00\x00", ["7", "8", "BIT"], 0],
  ["\x00\x00\x00", ["0", "-1", "BIT"], 0],
  ["\x00\x00\x00", ["-9223372036854775808", "9223372036854775807"], 0],
  ["\x00\x00\x00", ["-9223372036854775808", "-9223372036854775807"], 0],
  ["\x00\x00\x00", ["-9223372036854775807", "-9223372036854775808"], 0],
  ["\x00\x00\x00", ["2", "-9223372036854775808", "BIT"], 0],
  ["\xff\xff\xff", [], 24],
  ["\xff\xff\xff", ["0", "-1"], 24],
  ["\xff\xff\xff", ["1", "1"], 8],
  ["\xff\xff\xff", ["-2", "-1"], 16],
  ["\xff\xff\xff", ["-1", "-2"], 0],
  ["\xff\xff\xff", ["5", "3"], 0],
  ["\xff\xff\xff", ["-100", "100"], 24],
  ["\xff\xff\xff", ["0", "0", "BIT"], 1],
  ["\xff\xff\xff", ["1", "5", "BIT"], 5],
  ["\xff\xff\xff", ["5", "30", "BIT"], 19],
  ["\xff\xff\xff", ["-5", "-1", "BIT"], 5],
  ["\xff\xff\xff", ["-1", "-5", "BIT"], 0],
  ["\xff\xff\xff", ["7", "8", "BIT"], 2],
  ["\xff\xff\xff", ["0", "-1", "BIT"], 24],
  ["\xff\xff\xff", ["-9223372036854775808", "9223372036854775807"], 24],
  ["\xff\xff\xff", ["-9223372036854775808", "-9223372036854775807"], 8],
  ["\xff\xff\xff", ["-9223372036854775807", "-9223372036854775808"], 0],
  ["\xff\xff\xff", ["2", "-9223372036854775808", "BIT"], 0],
  ["foobar", [], 26],
  ["foobar", ["0", "-1"], 26],
  ["foobar", ["1", "1"], 6],
  ["foobar", ["-2", "-1"], 7],
  ["foobar", ["-1", "-2"], 0],
  ["foobar", ["5", "3"], 0],
  ["foobar", ["-100", "100"], 26],
  ["foobar", ["0", "0", "BIT"], 0],
  ["foobar", ["1", "5", "BIT"], 3],
  ["foobar", ["5", "30", "BIT"], 17],
  ["foobar", ["-5", "-1", "BIT"], 2],
  ["foobar", ["-1", "-5", "BIT"], 0],
  ["foobar", ["7", "8", "BIT"], 0],
  ["foobar", ["0", "-1", "BIT"], 26],
  ["foobar", ["-9223372036854775808", "9223372036854775807"], 26],
  ["foobar", ["-9223372036854775808", "-9223372036854775807"], 4],
  ["foobar", ["-9223372036854775807", "-9223372036854775808"], 0],
  ["foobar", ["2", "-9223372036854775808", "BIT"], 0],
  ["\x00\xff\x00", [], 8],
  ["\x00\xff\x00", ["0", "-1"], 8],
  ["\x00\xff\x00", ["1", "1"], 8],
  ["\x00\xff\x00", ["-2", "-1"], 8],
  ["\x00\xff\x00", ["-1", "-2"], 0],
  ["\x00\xff\x00", ["5", "3"], 0],
  ["\x00\xff\x00", ["-100", "100"], 8],
  ["\x00\xff\x00", ["0", "0", "BIT"], 0],
  ["\x00\xff\x00", ["1", "5", "BIT"], 0],
  ["\x00\xff\x00", ["5", "30", "BIT"], 8],
  ["\x00\xff\x00", ["-5", "-1", "BIT"], 0],
  ["\x00\xff\x00", ["-1", "-5", "BIT"], 0],
  ["\x00\xff\x00", ["7", "8", "BIT"], 1],
  ["\x00\xff\x00", ["0", "-1", "BIT"], 8],
  ["\x00\xff\x00", ["-9223372036854775808", "9223372036854775807"], 8],
  ["\x00\xff\x00", ["-9223372036854775808", "-9223372036854775807"], 0],
  ["\x00\xff\x00", ["-9223372036854775807", "-9223372036854775808"], 0],
  ["\x00\xff\x00", ["2", "-9223372036854775808", "BIT"], 0],
  ["\x01", [], 1],
  ["\x01", ["0", "-1"], 1],
  ["\x01", ["1", "1"], 0],
  ["\x01", ["-2", "-1"], 1],
  ["\x01", ["-1", "-2"], 0],
  ["\x01", ["5", "3"], 0],
  ["\x01", ["-100", "100"], 1],
  ["\x01", ["0", "0", "BIT"], 0],
  ["\x01", ["1", "5", "BIT"], 0],
  ["\x01", ["5", "30", "BIT"], 1],
  ["\x01", ["-5", "-1", "BIT"], 1],
  ["\x01", ["-1", "-5", "BIT"], 0],
  ["\x01", ["7", "8", "BIT"], 1],
  ["\x01", ["0", "-1", "BIT"], 1],
  ["\x01", ["-9223372036854775808", "9223372036854775807"], 1],
  ["\x01", ["-9223372036854775808", "-9223372036854775807"], 1],
  ["\x01", ["-9223372036854775807", "-9223372036854775808"], 0],
  ["\x01", ["2", "-9223372036854775808", "BIT"], 0],
  ["\x80", [], 1],
  ["\x80", ["0", "-1"], 1],
  ["\x80", ["1", "1"], 0],
  ["\x80", ["-2", "-1"], 1],
  ["\x80", ["-1", "-2"], 0],
  ["\x80", ["5", "3"], 0],
  ["\x80", ["-100", "100"], 1],
  ["\x80", ["0", "0", "BIT"], 1],
  ["\x80", ["1", "5", "BIT"], 0],
  ["\x80", ["5", "30", "BIT"], 0],
  ["\x80", ["-5", "-1", "BIT"], 0],
  ["\x80", ["-1", "-5", "BIT"], 0],
  ["\x80", ["7", "8", "BIT"], 0],
  ["\x80", ["0", "-1", "BIT"], 1],
  ["\x80", ["-9223372036854775808", "9223372036854775807"], 1],
  ["\x80", ["-9223372036854775808", "-9223372036854775807"], 1],
  ["\x80", ["-9223372036854775807", "-9223372036854775808"], 0],
  ["\x80", ["2", "-9223372036854775808", "BIT"], 0],
  ["\xaaU", [], 8],
  ["\xaaU", ["0", "-1"], 8],
  ["\xaaU", ["1", "1"], 4],
  ["\xaaU", ["-2", "-1"], 8],
  ["\xaaU", ["-1", "-2"], 0],
  ["\xaaU", ["5", "3"], 0],
  ["\xaaU", ["-100", "100"], 8],
  ["\xaaU", ["0", "0", "BIT"], 1],
  ["\xaaU", ["1", "5", "BIT"], 2],
  ["\xaaU", ["5", "30", "BIT"], 5],
  ["\xaaU", ["-5", "-1", "BIT"], 3],
  ["\xaaU", ["-1", "-5", "BIT"], 0],
  ["\xaaU", ["7", "8", "BIT"], 0],
  ["\xaaU", ["0", "-1", "BIT"], 8],
  ["\xaaU", ["-9223372036854775808", "9223372036854775807"], 8],
  ["\xaaU", ["-9223372036854775808", "-9223372036854775807"], 4],
  ["\xaaU", ["-9223372036854775807", "-9223372036854775808"], 0],
  ["\xaaU", ["2", "-9223372036854775808", "BIT"], 0],
];

// [value, bit, BITPOS arguments after the bit, reply]
const BITPOS_GOLDEN: [string, number, string[], number][] = [
  ["", 0, [], -1],
  ["", 0, ["0"], -1],
  ["", 0, ["1"], -1],
  ["", 0, ["-1"], -1],
  ["", 0, ["0", "-1"], -1],
  ["", 0, ["1", "1"], -1],
  ["", 0, ["2", "1"], -1],
  ["", 0, ["-100", "100"], -1],
  ["", 0, ["0", "0", "BIT"], -1],
  ["", 0, ["1", "5", "BIT"], -1],
  ["", 0, ["5", "30", "BIT"], -1],
  ["", 0, ["-5", "-1", "BIT"], -1],
  ["", 0, ["7", "8", "BIT"], -1],
  ["", 0, ["3", "-1", "BIT"], -1],
  ["", 0, ["9", "9", "BIT"], -1],
  ["", 0, ["0", "100", "BIT"], -1],
  ["", 0, ["12", "-9223372036854775808", "BIT"], -1],
  ["", 0, ["9223372036854775807"], -1],
  ["", 1, [], -1],
  ["", 1, ["0"], -1],
  ["", 1, ["1"], -1],
  ["", 1, ["-1"], -1],
  ["", 1, ["0", "-1"], -1],
  ["", 1, ["1", "1"], -1],
  ["", 1, ["2", "1"], -1],
  ["", 1, ["-100", "100"], -1],
  ["", 1, ["0", "0", "BIT"], -1],
  ["", 1, ["1", "5", "BIT"], -1],
  ["", 1, ["5", "30", "BIT"], -1],
  ["", 1, ["-5", "-1", "BIT"], -1],
  ["", 1, ["7", "8", "BIT"], -1],
  ["", 1, ["3", "-1", "BIT"], -1],
  ["", 1, ["9", "9", "BIT"], -1],
  ["", 1, ["0", "100", "BIT"], -1],
  ["", 1, ["12", "-9223372036854775808", "BIT"], -1],
  ["", 1, ["9223372036854775807"], -1],
  ["\xff\xf0\x00", 0, [], 12],
  ["\xff\xf0\x00", 0, ["0"], 12],
  ["\xff\xf0\x00", 0, ["1"], 12],
  ["\xff\xf0\x00", 0, ["-1"], 16],
  ["\xff\xf0\x00", 0, ["0", "-1"], 12],
  ["\xff\xf0\x00", 0, ["1", "1"], 12],
  ["\xff\xf0\x00", 0, ["2", "1"], -1],
  ["\xff\xf0\x00", 0, ["-100", "100"], 12],
  ["\xff\xf0\x00", 0, ["0", "0", "BIT"], -1],
  ["\xff\xf0\x00", 0, ["1", "5", "BIT"], -1],
  ["\xff\xf0\x00", 0, ["5", "30", "BIT"], 12],
  ["\xff\xf0\x00", 0, ["-5", "-1", "BIT"], 19],
  ["\xff\xf0\x00", 0, ["7", "8", "BIT"], -1],
  ["\xff\xf0\x00", 0, ["3", "-1", "BIT"], 12],
  ["\xff\xf0\x00", 0, ["9", "9", "BIT"], -1],
  ["\xff\xf0\x00", 0, ["0", "100", "BIT"], 12],
  ["\xff\xf0\x00", 0, ["12", "-9223372036854775808", "BIT"], -1],
  ["\xff\xf0\x00", 0, ["9223372036854775807"], -1],
  ["\xff\xf0\x00", 1, [], 0],
  ["\xff\xf0\x00", 1, ["0"], 0],
  ["\xff\xf0\x00", 1, ["1"], 8],
  ["\xff\xf0\x00", 1, ["-1"], -1],
  ["\xff\xf0\x00", 1, ["0", "-1"], 0],
  ["\xff\xf0\x00", 1, ["1", "1"], 8],
  ["\xff\xf0\x00", 1, ["2", "1"], -1],
  ["\xff\xf0\x00", 1, ["-100", "100"], 0],
  ["\xff\xf0\x00", 1, ["0", "0", "BIT"], 0],
  ["\xff\xf0\x00", 1, ["1", "5", "BIT"], 1],
  ["\xff\xf0\x00", 1, ["5", "30", "BIT"], 5],
  ["\xff\xf0\x00", 1, ["-5", "-1", "BIT"], -1],
  ["\xff\xf0\x00", 1, ["7", "8", "BIT"], 7],
  ["\xff\xf0\x00", 1, ["3", "-1", "BIT"], 3],
  ["\xff\xf0\x00", 1, ["9", "9", "BIT"], 9],
  ["\xff\xf0\x00", 1, ["0", "100", "BIT"], 0],
  ["\xff\xf0\x00", 1, ["12", "-9223372036854775808", "BIT"], -1],
  ["\xff\xf0\x00", 1, ["9223372036854775807"], -1],
  ["\x00\x00\x00", 0, [], 0],
  ["\x00\x00\x00", 0, ["0"], 0],
  ["\x00\x00\x00", 0, ["1"], 8],
  ["\x00\x00\x00", 0, ["-1"], 16],
  ["\x00\x00\x00", 0, ["0", "-1"], 0],
  ["\x00\x00\x00", 0, ["1", "1"], 8],
  ["\x00\x00\x00", 0, ["2", "1"], -1],
  ["\x00\x00\x00", 0, ["-100", "100"], 0],
  ["\x00\x00\x00", 0, ["0", "0", "BIT"], 0],
  ["\x00\x00\x00", 0, ["1", "5", "BIT"], 1],
  ["\x00\x00\x00", 0, ["5", "30", "BIT"], 5],
  ["\x00\x00\x00", 0, ["-5", "-1", "BIT"], 19],
  ["\x00\x00\x00", 0, ["7", "8", "BIT"], 7],
  ["\x00\x00\x00", 0, ["3", "-1", "BIT"], 3],
  ["\x00\x00\x00", 0, ["9", "9", "BIT"], 9],
  ["\x00\x00\x00", 0, ["0", "100", "BIT"], 0],
  ["\x00\x00\x00", 0, ["12", "-9223372036854775808", "BIT"], -1],
  ["\x00\x00\x00", 0, ["9223372036854775807"], -1],
  ["\x00\x00\x00", 1, [], -1],
  ["\x00\x00\x00", 1, ["0"], -1],
  ["\x00\x00\x00", 1, ["1"], -1],
  ["\x00\x00\x00", 1, ["-1"], -1],
  ["\x00\x00\x00", 1, ["0", "-1"], -1],
  ["\x00\x00\x00", 1, ["1", "1"], -1],
  ["\x00\x00\x00", 1, ["2", "1"], -1],
  ["\x00\x00\x00", 1, ["-100", "100"], -1],
  ["\x00\x00\x00", 1, ["0", "0", "BIT"], -1],
  ["\x00\x00\x00", 1, ["1", "5", "BIT"], -1],
  ["\x00\x00\x00", 1, ["5", "30", "BIT"], -1],
  ["\x00\x00\x00", 1, ["-5", "-1", "BIT"], -1],
  ["\x00\x00\x00", 1, ["7", "8", "BIT"], -1],
  ["\x00\x00\x00", 1, ["3", "-1", "BIT"], -1],
  ["\x00\x00\x00", 1, ["9", "9", "BIT"], -1],
  ["\x00\x00\x00", 1, ["0", "100", "BIT"], -1],
  ["\x00\x00\x00", 1, ["12", "-9223372036854775808", "BIT"], -1],
  ["\x00\x00\x00", 1, ["9223372036854775807"], -1],
  ["\xff\xff\xff", 0, [], 24],
  ["\xff\xff\xff", 0, ["0"], 24],
  ["\xff\xff\xff", 0, ["1"], 24],
  ["\xff\xff\xff", 0, ["-1"], 24],
  ["\xff\xff\xff", 0, ["0", "-1"], -1],
  ["\xff\xff\xff", 0, ["1", "1"], -1],
  ["\xff\xff\xff", 0, ["2", "1"], -1],
  ["\xff\xff\xff", 0, ["-100", "100"], -1],
  ["\xff\xff\xff", 0, ["0", "0", "BIT"], -1],
  ["\xff\xff\xff", 0, ["1", "5", "BIT"], -1],
  ["\xff\xff\xff", 0, ["5", "30", "BIT"], -1],
  ["\xff\xff\xff", 0, ["-5", "-1", "BIT"], -1],
  ["\xff\xff\xff", 0, ["7", "8", "BIT"], -1],
  ["\xff\xff\xff", 0, ["3", "-1", "BIT"], -1],
  ["\xff\xff\xff", 0, ["9", "9", "BIT"], -1],
  ["\xff\xff\xff", 0, ["0", "100", "BIT"], -1],
  ["\xff\xff\xff", 0, ["12", "-9223372036854775808", "BIT"], -1],
  ["\xff\xff\xff", 0, ["9223372036854775807"], -1],
  ["\xff\xff\xff", 1, [], 0],
  ["\xff\xff\xff", 1, ["0"], 0],
  ["\xff\xff\xff", 1, ["1"], 8],
  ["\xff\xff\xff", 1, ["-1"], 16],
  ["\xff\xff\xff", 1, ["0", "-1"], 0],
  ["\xff\xff\xff", 1, ["1", "1"], 8],
  ["\xff\xff\xff", 1, ["2", "1"], -1],
  ["\xff\xff\xff", 1, ["-100", "100"], 0],
  ["\xff\xff\xff", 1, ["0", "0", "BIT"], 0],
  ["\xff\xff\xff", 1, ["1", "5", "BIT"], 1],
  ["\xff\xff\xff", 1, ["5", "30", "BIT"], 5],
  ["\xff\xff\xff", 1, ["-5", "-1", "BIT"], 19],
  ["\xff\xff\xff", 1, ["7", "8", "BIT"], 7],
  ["\xff\xff\xff", 1, ["3", "-1", "BIT"], 3],
  ["\xff\xff\xff", 1, ["9", "9", "BIT"], 9],
  ["\xff\xff\xff", 1, ["0", "100", "BIT"], 0],
  ["\xff\xff\xff", 1, ["12", "-9223372036854775808", "BIT"], -1],
  ["\xff\xff\xff", 1, ["9223372036854775807"], -1],
  ["foobar", 0, [], 0],
  ["foobar", 0, ["0"], 0],
  ["foobar", 0, ["1"], 8],
  ["foobar", 0, ["-1"], 40],
  ["foobar", 0, ["0", "-1"], 0],
  ["foobar", 0, ["1", "1"], 8],
  ["foobar", 0, ["2", "1"], -1],
  ["foobar", 0, ["-100", "100"], 0],
  ["foobar", 0, ["0", "0", "BIT"], 0],
  ["foobar", 0, ["1", "5", "BIT"], 3],
  ["foobar", 0, ["5", "30", "BIT"], 7],
  ["foobar", 0, ["-5", "-1", "BIT"], 44],
  ["foobar", 0, ["7", "8", "BIT"], 7],
  ["foobar", 0, ["3", "-1", "BIT"], 3],
  ["foobar", 0, ["9", "9", "BIT"], -1],
  ["foobar", 0, ["0", "100", "BIT"], 0],
  ["foobar", 0, ["12", "-9223372036854775808", "BIT"], -1],
  ["foobar", 0, ["9223372036854775807"], -1],
  ["foobar", 1, [], 1],
  ["foobar", 1, ["0"], 1],
  ["foobar", 1, ["1"], 9],
  ["foobar", 1, ["-1"], 41],
  ["foobar", 1, ["0", "-1"], 1],
  ["foobar", 1, ["1", "1"], 9],
  ["foobar", 1, ["2", "1"], -1],
  ["foobar", 1, ["-100", "100"], 1],
  ["foobar", 1, ["0", "0", "BIT"], -1],
  ["foobar", 1, ["1", "5", "BIT"], 1],
  ["foobar", 1, ["5", "30", "BIT"], 5],
  ["foobar", 1, ["-5", "-1", "BIT"], 43],
  ["foobar", 1, ["7", "8", "BIT"], -1],
  ["foobar", 1, ["3", "-1", "BIT"], 5],
  ["foobar", 1, ["9", "9", "BIT"], 9],
  ["foobar", 1, ["0", "100", "BIT"], 1],
  ["foobar", 1, ["12", "-9223372036854775808", "BIT"], -1],
  ["foobar", 1, ["9223372036854775807"], -1],
  ["\x00\xff\x00", 0, [], 0],
  ["\x00\xff\x00", 0, ["0"], 0],
  ["\x00\xff\x00", 0, ["1"], 16],
  ["\x00\xff\x00", 0, ["-1"], 16],
  ["\x00\xff\x00", 0, ["0", "-1"], 0],
  ["\x00\xff\x00", 0, ["1", "1"], -1],
  ["\x00\xff\x00", 0, ["2", "1"], -1],
  ["\x00\xff\x00", 0, ["-100", "100"], 0],
  ["\x00\xff\x00", 0, ["0", "0", "BIT"], 0],
  ["\x00\xff\x00", 0, ["1", "5", "BIT"], 1],
  ["\x00\xff\x00", 0, ["5", "30", "BIT"], 5],
  ["\x00\xff\x00", 0, ["-5", "-1", "BIT"], 19],
  ["\x00\xff\x00", 0, ["7", "8", "BIT"], 7],
  ["\x00\xff\x00", 0, ["3", "-1", "BIT"], 3],
  ["\x00\xff\x00", 0, ["9", "9", "BIT"], -1],
  ["\x00\xff\x00", 0, ["0", "100", "BIT"], 0],
  ["\x00\xff\x00", 0, ["12", "-9223372036854775808", "BIT"], -1],
  ["\x00\xff\x00", 0, ["9223372036854775807"], -1],
  ["\x00\xff\x00", 1, [], 8],
  ["\x00\xff\x00", 1, ["0"], 8],
  ["\x00\xff\x00", 1, ["1"], 8],
  ["\x00\xff\x00", 1, ["-1"], -1],
  ["\x00\xff\x00", 1, ["0", "-1"], 8],
  ["\x00\xff\x00", 1, ["1", "1"], 8],
  ["\x00\xff\x00", 1, ["2", "1"], -1],
  ["\x00\xff\x00", 1, ["-100", "100"], 8],
  ["\x00\xff\x00", 1, ["0", "0", "BIT"], -1],
  ["\x00\xff\x00", 1, ["1", "5", "BIT"], -1],
  ["\x00\xff\x00", 1, ["5", "30", "BIT"], 8],
  ["\x00\xff\x00", 1, ["-5", "-1", "BIT"], -1],
  ["\x00\xff\x00", 1, ["7", "8", "BIT"], 8],
  ["\x00\xff\x00", 1, ["3", "-1", "BIT"], 8],
  ["\x00\xff\x00", 1, ["9", "9", "BIT"], 9],
  ["\x00\xff\x00", 1, ["0", "100", "BIT"], 8],
  ["\x00\xff\x00", 1, ["12", "-9223372036854775808", "BIT"], -1],
  ["\x00\xff\x00", 1, ["9223372036854775807"], -1],
  ["\x01", 0, [], 0],
  ["\x01", 0, ["0"], 0],
  ["\x01", 0, ["1"], -1],
  ["\x01", 0, ["-1"], 0],
  ["\x01", 0, ["0", "-1"], 0],
  ["\x01", 0, ["1", "1"], -1],
  ["\x01", 0, ["2", "1"], -1],
  ["\x01", 0, ["-100", "100"], 0],
  ["\x01", 0, ["0", "0", "BIT"], 0],
  ["\x01", 0, ["1", "5", "BIT"], 1],
  ["\x01", 0, ["5", "30", "BIT"], 5],
  ["\x01", 0, ["-5", "-1", "BIT"], 3],
  ["\x01", 0, ["7", "8", "BIT"], -1],
  ["\x01", 0, ["3", "-1", "BIT"], 3],
  ["\x01", 0, ["9", "9", "BIT"], -1],
  ["\x01", 0, ["0", "100", "BIT"], 0],
  ["\x01", 0, ["12", "-9223372036854775808", "BIT"], -1],
  ["\x01", 0, ["9223372036854775807"], -1],
  ["\x01", 1, [], 7],
  ["\x01", 1, ["0"], 7],
  ["\x01", 1, ["1"], -1],
  ["\x01", 1, ["-1"], 7],
  ["\x01", 1, ["0", "-1"], 7],
  ["\x01", 1, ["1", "1"], -1],
  ["\x01", 1, ["2", "1"], -1],
  ["\x01", 1, ["-100", "100"], 7],
  ["\x01", 1, ["0", "0", "BIT"], -1],
  ["\x01", 1, ["1", "5", "BIT"], -1],
  ["\x01", 1, ["5", "30", "BIT"], 7],
  ["\x01", 1, ["-5", "-1", "BIT"], 7],
  ["\x01", 1, ["7", "8", "BIT"], 7],
  ["\x01", 1, ["3", "-1", "BIT"], 7],
  ["\x01", 1, ["9", "9", "BIT"], -1],
  ["\x01", 1, ["0", "100", "BIT"], 7],
  ["\x01", 1, ["12", "-9223372036854775808", "BIT"], -1],
  ["\x01", 1, ["9223372036854775807"], -1],
  ["\x80", 0, [], 1],
  ["\x80", 0, ["0"], 1],
  ["\x80", 0, ["1"], -1],
  ["\x80", 0, ["-1"], 1],
  ["\x80", 0, ["0", "-1"], 1],
  ["\x80", 0, ["1", "1"], -1],
  ["\x80", 0, ["2", "1"], -1],
  ["\x80", 0, ["-100", "100"], 1],
  ["\x80", 0, ["0", "0", "BIT"], -1],
  ["\x80", 0, ["1", "5", "BIT"], 1],
  ["\x80", 0, ["5", "30", "BIT"], 5],
  ["\x80", 0, ["-5", "-1", "BIT"], 3],
  ["\x80", 0, ["7", "8", "BIT"], 7],
  ["\x80", 0, ["3", "-1", "BIT"], 3],
  ["\x80", 0, ["9", "9", "BIT"], -1],
  ["\x80", 0, ["0", "100", "BIT"], 1],
  ["\x80", 0, ["12", "-9223372036854775808", "BIT"], -1],
  ["\x80", 0, ["9223372036854775807"], -1],
  ["\x80", 1, [], 0],
  ["\x80", 1, ["0"], 0],
  ["\x80", 1, ["1"], -1],
  ["\x80", 1, ["-1"], 0],
  ["\x80", 1, ["0", "-1"], 0],
  ["\x80", 1, ["1", "1"], -1],
  ["\x80", 1, ["2", "1"], -1],
  ["\x80", 1, ["-100", "100"], 0],
  ["\x80", 1, ["0", "0", "BIT"], 0],
  ["\x80", 1, ["1", "5", "BIT"], -1],
  ["\x80", 1, ["5", "30", "BIT"], -1],
  ["\x80", 1, ["-5", "-1", "BIT"], -1],
  ["\x80", 1, ["7", "8", "BIT"], -1],
  ["\x80", 1, ["3", "-1", "BIT"], -1],
  ["\x80", 1, ["9", "9", "BIT"], -1],
  ["\x80", 1, ["0", "100", "BIT"], 0],
  ["\x80", 1, ["12", "-9223372036854775808", "BIT"], -1],
  ["\x80", 1, ["9223372036854775807"], -1],
  ["\xaaU", 0, [], 1],
  ["\xaaU", 0, ["0"], 1],
  ["\xaaU", 0, ["1"], 8],
  ["\xaaU", 0, ["-1"], 8],
  ["\xaaU", 0, ["0", "-1"], 1],
  ["\xaaU", 0, ["1", "1"], 8],
  ["\xaaU", 0, ["2", "1"], -1],
  ["\xaaU", 0, ["-100", "100"], 1],
  ["\xaaU", 0, ["0", "0", "BIT"], -1],
  ["\xaaU", 0, ["1", "5", "BIT"], 1],
  ["\xaaU", 0, ["5", "30", "BIT"], 5],
  ["\xaaU", 0, ["-5", "-1", "BIT"], 12],
  ["\xaaU", 0, ["7", "8", "BIT"], 7],
  ["\xaaU", 0, ["3", "-1", "BIT"], 3],
  ["\xaaU", 0, ["9", "9", "BIT"], -1],
  ["\xaaU", 0, ["0", "100", "BIT"], 1],
  ["\xaaU", 0, ["12", "-9223372036854775808", "BIT"], -1],
  ["\xaaU", 0, ["9223372036854775807"], -1],
  ["\xaaU", 1, [], 0],
  ["\xaaU", 1, ["0"], 0],
  ["\xaaU", 1, ["1"], 9],
  ["\xaaU", 1, ["-1"], 9],
  ["\xaaU", 1, ["0", "-1"], 0],
  ["\xaaU", 1, ["1", "1"], 9],
  ["\xaaU", 1, ["2", "1"], -1],
  ["\xaaU", 1, ["-100", "100"], 0],
  ["\xaaU", 1, ["0", "0", "BIT"], 0],
  ["\xaaU", 1, ["1", "5", "BIT"], 2],
  ["\xaaU", 1, ["5", "30", "BIT"], 6],
  ["\xaaU", 1, ["-5", "-1", "BIT"], 11],
  ["\xaaU", 1, ["7", "8", "BIT"], -1],
  ["\xaaU", 1, ["3", "-1", "BIT"], 4],
  ["\xaaU", 1, ["9", "9", "BIT"], 9],
  ["\xaaU", 1, ["0", "100", "BIT"], 0],
  ["\xaaU", 1, ["12", "-9223372036854775808", "BIT"], -1],
  ["\xaaU", 1, ["9223372036854775807"], -1],
];

// [BITFIELD arguments after the key, reply (or error), value afterwards]; the key starts as "\xaa\x0f\xf0".
const BITFIELD_GOLDEN: [string[], (bigint | null)[] | string, string][] = [
  [["SET", "i8", "0", "-100", "GET", "i8", "0", "GET", "u8", "0", "GET", "i4", "4", "GET", "u3", "1"], [-86n, -100n, 156n, -4n, 1n], "\x9c\x0f\xf0"],
  [["SET", "u8", "0", "255", "INCRBY", "u8", "0", "1", "OVERFLOW", "SAT", "INCRBY", "u8", "0", "-1", "INCRBY", "u8", "0", "1000", "OVERFLOW", "FAIL", "INCRBY", "u8", "0", "1", "GET", "u8", "0"], [170n, 0n, 0n, 255n, null, 255n], "\xff\x0f\xf0"],
  [["OVERFLOW", "SAT", "SET", "i8", "0", "-9223372036854775808", "GET", "i8", "0", "SET", "i8", "0", "-9223372036854775680", "GET", "i8", "0", "SET", "i8", "0", "-9223372036854775679", "GET", "i8", "0", "SET", "i8", "0", "-200", "GET", "i8", "0"], [-86n, 127n, 127n, -128n, -128n, -128n, -128n, -128n], "\x80\x0f\xf0"],
  [["OVERFLOW", "SAT", "SET", "u8", "0", "-1", "OVERFLOW", "WRAP", "SET", "u8", "8", "-1", "OVERFLOW", "FAIL", "SET", "u8", "16", "-1", "GET", "u24", "0"], [170n, 15n, null, 16777200n], "\xff\xff\xf0"],
  [["SET", "i64", "0", "9223372036854775807", "INCRBY", "i64", "0", "1", "OVERFLOW", "SAT", "INCRBY", "i64", "0", "-1", "INCRBY", "i64", "0", "9223372036854775807", "OVERFLOW", "FAIL", "INCRBY", "i64", "0", "1", "GET", "i64", "0", "GET", "u63", "1"], [-6192467079820476416n, -9223372036854775808n, -9223372036854775808n, -1n, 0n, 0n, 0n], "\x00\x00\x00\x00\x00\x00\x00\x00"],
  [["SET", "u63", "1", "9223372036854775807", "INCRBY", "u63", "1", "1", "OVERFLOW", "SAT", "INCRBY", "u63", "1", "-5", "GET", "u63", "1", "GET", "i64", "0"], [3030904957034299392n, 0n, 0n, 0n, -9223372036854775808n], "\x80\x00\x00\x00\x00\x00\x00\x00"],
  [["SET", "i5", "#2", "15", "INCRBY", "i5", "#2", "1", "GET", "u5", "#2", "GET", "i5", "10", "SET", "u1", "#100", "1", "GET", "u8", "#12", "GET", "u8", "100"], [7n, -16n, 16n, -16n, 0n, 8n, 128n], "\xaa!\xf0\x00\x00\x00\x00\x00\x00\x00\x00\x00\x08"],
  [["GET", "i64", "100000", "GET", "u63", "3", "SET", "i1", "3", "-1", "GET", "i1", "3", "INCRBY", "i1", "3", "1", "GET", "u1", "3", "OVERFLOW", "SAT", "INCRBY", "i1", "3", "-5", "GET", "i1", "3"], [0n, 2900247791282421760n, 0n, -1n, 0n, 0n, -1n, -1n], "\xba\x0f\xf0"],
  [["SET", "i32", "7", "-2147483648", "INCRBY", "i32", "7", "-1", "OVERFLOW", "SAT", "INCRBY", "i32", "7", "-1", "INCRBY", "i32", "7", "4294967296", "GET", "u32", "7"], [133693440n, 2147483647n, 2147483646n, 2147483647n, 2147483647n], "\xaa\xff\xff\xff\xfe"],
  [["SET", "i8", "#9223372036854775807", "1"], "ERR bit offset is not an integer or out of range", "\xaa\x0f\xf0"],
  [["GET", "i8", "#2305843009213693953"], [15n], "\xaa\x0f\xf0"],
  [["GET", "i8", "-1"], "ERR bit offset is not an integer or out of range", "\xaa\x0f\xf0"],
  [["GET", "i8", "4294967296"], "ERR bit offset is not an integer or out of range", "\xaa\x0f\xf0"],
  [["GET", "i8", "4294967295"], [0n], "\xaa\x0f\xf0"],
  [["GET", "i0", "0"], "ERR Invalid bitfield type. Use something like i16 u8. Note that u64 is not supported but i64 is.", "\xaa\x0f\xf0"],
  [["GET", "u64", "0"], "ERR Invalid bitfield type. Use something like i16 u8. Note that u64 is not supported but i64 is.", "\xaa\x0f\xf0"],
  [["GET", "i65", "0"], "ERR Invalid bitfield type. Use something like i16 u8. Note that u64 is not supported but i64 is.", "\xaa\x0f\xf0"],
  [["GET", "I8", "0"], "ERR Invalid bitfield type. Use something like i16 u8. Note that u64 is not supported but i64 is.", "\xaa\x0f\xf0"],
  [["GET", "U8", "0"], "ERR Invalid bitfield type. Use something like i16 u8. Note that u64 is not supported but i64 is.", "\xaa\x0f\xf0"],
  [["GET", "i08", "0"], "ERR Invalid bitfield type. Use something like i16 u8. Note that u64 is not supported but i64 is.", "\xaa\x0f\xf0"],
  [["GET", "i+8", "0"], "ERR Invalid bitfield type. Use something like i16 u8. Note that u64 is not supported but i64 is.", "\xaa\x0f\xf0"],
  [["GET", "x8", "0"], "ERR Invalid bitfield type. Use something like i16 u8. Note that u64 is not supported but i64 is.", "\xaa\x0f\xf0"],
  [["GET", "i", "0"], "ERR Invalid bitfield type. Use something like i16 u8. Note that u64 is not supported but i64 is.", "\xaa\x0f\xf0"],
  [["GET", "i8", "#-1"], "ERR bit offset is not an integer or out of range", "\xaa\x0f\xf0"],
  [["GET", "i8", "#0"], [-86n], "\xaa\x0f\xf0"],
  [["GET", "i8", "01"], "ERR bit offset is not an integer or out of range", "\xaa\x0f\xf0"],
  [["GET", "i8", "+1"], "ERR bit offset is not an integer or out of range", "\xaa\x0f\xf0"],
  [["GET", "i8", "##1"], "ERR bit offset is not an integer or out of range", "\xaa\x0f\xf0"],
  [["GET", "i8", "#"], "ERR bit offset is not an integer or out of range", "\xaa\x0f\xf0"],
];

// [operation, source values, BITOP reply (result length), destination afterwards (null: deleted)]
const BITOP_GOLDEN: [string, string[], number, string | null][] = [
  ["AND", ["\xff\x0f", "\xf0"], 2, "\xf0\x00"],
  ["OR", ["\x01", "\x02\x04", ""], 2, "\x03\x04"],
  ["XOR", ["\xff\xff\xff", "\x0f", "\xf0\xf0"], 3, "\x00\x0f\xff"],
  ["NOT", ["\x0f\xf0"], 2, "\xf0\x0f"],
  ["NOT", [""], 0, null],
  ["AND", ["", "\xff"], 1, "\x00"],
  ["AND", ["", ""], 0, null],
  ["OR", ["foobar", "abcdef"], 6, "goofev"],
  ["XOR", ["abc", "abc"], 3, "\x00\x00\x00"],
];

// [GETBIT offset argument, reply on "\xaa\x0f\xf0"]
const GETBIT_GOLDEN: [string, number | string][] = [
  ["0", 1],
  ["7", 0],
  ["8", 0],
  ["4294967295", 0],
  ["4294967296", "ERR bit offset is not an integer or out of range"],
  ["-1", "ERR bit offset is not an integer or out of range"],
  ["01", "ERR bit offset is not an integer or out of range"],
  ["#1", "ERR bit offset is not an integer or out of range"],
  ["+1", "ERR bit offset is not an integer or out of range"],
  ["1.5", "ERR bit offset is not an integer or out of range"],
];

const OFFSET_ERROR = "ERR bit offset is not an integer or out of range";
const TYPE_ERROR = "ERR Invalid bitfield type. Use something like i16 u8. Note that u64 is not supported but i64 is.";

function rangeCall(args: string[]): { start?: bigint; end?: bigint; unit: BitUnit } {
  return {
    start: args[0] === undefined ? undefined : BigInt(args[0]),
    end: args[1] === undefined ? undefined : BigInt(args[1]),
    unit: args[2]?.toLowerCase() === "bit" ? "bit" : "byte",
  };
}

function bitcountCommand(value: string, args: string[]): number {
  const { start, end, unit } = rangeCall(args);
  return bitcount(latin1(value), start, end, unit);
}

function bitposCommand(value: string, bit: 0 | 1, args: string[]): number {
  const { start, end, unit } = rangeCall(args);
  return bitpos(latin1(value), bit, start ?? 0n, end ?? null, unit);
}

type BitfieldStep =
  | { kind: "get"; type: BitfieldType; offset: number }
  | { kind: "set" | "incrby"; type: BitfieldType; offset: number; value: bigint; overflow: BitfieldOverflow };

/** BITFIELD on our primitives: parse every operation first, grow once, then run (as Redis does). */
function bitfieldCommand(initial: Uint8Array, args: string[]): { reply: (bigint | null)[] | string; value: Uint8Array } {
  const steps: BitfieldStep[] = [];
  let overflow: BitfieldOverflow = "wrap";
  for (let i = 0; i < args.length; ) {
    const operation = args[i]!.toLowerCase();
    if (operation === "overflow") {
      overflow = args[i + 1]!.toLowerCase() as BitfieldOverflow;
      i += 2;
      continue;
    }
    const type = parseBitfieldType(latin1(args[i + 1]!));
    if (type === null) return { reply: TYPE_ERROR, value: initial };
    const offset = parseBitOffset(latin1(args[i + 2]!), type.bits, true);
    if (offset === null) return { reply: OFFSET_ERROR, value: initial };
    if (operation === "get") {
      steps.push({ kind: "get", type, offset });
      i += 3;
    } else {
      steps.push({ kind: operation as "set" | "incrby", type, offset, value: BigInt(args[i + 3]!), overflow });
      i += 4;
    }
  }
  let value = initial;
  for (const step of steps) {
    if (step.kind === "get") continue;
    const needed = bytesNeededForBits(step.offset, step.type.bits);
    if (needed > value.length) {
      const grown = new Uint8Array(needed);
      grown.set(value);
      value = grown;
    }
  }
  const reply: (bigint | null)[] = [];
  for (const step of steps) {
    const old = getBitfield(value, step.offset, step.type);
    if (step.kind === "get") {
      reply.push(old);
    } else if (step.kind === "set") {
      const stored = bitfieldSetValue(step.type, step.value, step.overflow);
      if (stored !== null) setBits(value, step.offset, step.type.bits, stored);
      reply.push(stored === null ? null : old);
    } else {
      const stored = bitfieldIncrBy(step.type, old, step.value, step.overflow);
      if (stored !== null) setBits(value, step.offset, step.type.bits, stored);
      reply.push(stored);
    }
  }
  return { reply, value };
}

function replyText(reply: OracleReply | (bigint | null)[] | string): string {
  return JSON.stringify(reply, (_, v: unknown) => (typeof v === "bigint" ? String(v) : v));
}

describe("BITCOUNT", () => {
  test("matches Redis on the golden table", () => {
    const mismatches = BITCOUNT_GOLDEN.filter(([value, args, expected]) => bitcountCommand(value, args) !== expected);
    expect(mismatches).toEqual([]);
  });

  test("popcount over long, unaligned buffers", () => {
    const backing = new Uint8Array(1003);
    for (let i = 0; i < backing.length; i++) backing[i] = (i * 37) & 0xff;
    let expected = 0;
    for (let i = 3; i < 1003; i++) for (let b = 0; b < 8; b++) expected += (backing[i]! >> b) & 1;
    expect(popcount(backing.subarray(3))).toBe(expected);
    expect(bitcount(backing.subarray(3))).toBe(expected);
    expect(bitcount(backing, 3, -1)).toBe(expected);
  });
});

describe("BITPOS", () => {
  test("matches Redis on the golden table", () => {
    const mismatches = BITPOS_GOLDEN.filter(
      ([value, bit, args, expected]) => bitposCommand(value, bit as 0 | 1, args) !== expected,
    );
    expect(mismatches).toEqual([]);
  });

  test("looking for 0 in all ones: length*8 without an end, -1 with one", () => {
    const ones = latin1("\xff\xff\xff");
    expect(bitpos(ones, 0)).toBe(24);
    expect(bitpos(ones, 0, 1)).toBe(24);
    expect(bitpos(ones, 0, 0, -1)).toBe(-1);
    expect(bitpos(ones, 0, 0, 23n, "bit")).toBe(-1);
    expect(bitpos(new Uint8Array(0), 0)).toBe(-1);
  });

  test("finds bits far into a long string", () => {
    const value = new Uint8Array(100000);
    value[99999] = 0x01;
    expect(bitpos(value, 1)).toBe(799999);
    expect(bitpos(value, 1, 799990, 799998, "bit")).toBe(-1);
    value.fill(0xff);
    value[50000] = 0xfe;
    expect(bitpos(value, 0)).toBe(400007);
  });
});

describe("BITOP", () => {
  test("matches Redis on the golden table", () => {
    for (const [operation, sources, length, destination] of BITOP_GOLDEN) {
      const result = bitop(operation.toLowerCase() as BitOperation, sources.map(latin1));
      expect(result.length).toBe(length);
      expect(result.length === 0 ? null : asLatin1(result)).toBe(destination);
    }
  });
});

describe("GETBIT / SETBIT", () => {
  test("offset parsing matches Redis", () => {
    const value = latin1("\xaa\x0f\xf0");
    for (const [arg, expected] of GETBIT_GOLDEN) {
      const offset = parseBitOffset(latin1(arg), 0, false);
      const reply: number | string = offset === null ? OFFSET_ERROR : getBit(value, offset);
      expect(reply).toBe(expected);
    }
  });

  test("bit offsets past 2^32 address the right byte", () => {
    // The last bit Redis accepts (512 MB - 1 byte, bit 7): 32-bit operators would wrap here.
    const offset = parseBitOffset(latin1("4294967295"), 0, false)!;
    expect(offset).toBe(4294967295);
    expect(bytesNeededForBits(offset, 1)).toBe(536870912);
    const lastByteOnly = new Uint8Array(1);
    // getBit/setBit use floor(offset / 8): check the arithmetic on a view of one byte.
    expect(Math.floor(offset / 8)).toBe(536870911);
    expect(offset % 8).toBe(7);
    expect(setBit(lastByteOnly, 7, 1)).toBe(0);
    expect(lastByteOnly[0]).toBe(0x01);
    expect(getBit(lastByteOnly, offset)).toBe(0); // past the end of a short string: 0
  });

  test("setBit returns the previous bit", () => {
    const value = new Uint8Array(2);
    expect(setBit(value, 9, 1)).toBe(0);
    expect(setBit(value, 9, 1)).toBe(1);
    expect([...value]).toEqual([0x00, 0x40]);
    expect(getBit(value, 9)).toBe(1);
    expect(setBit(value, 9, 0)).toBe(1);
    expect([...value]).toEqual([0x00, 0x00]);
  });
});

describe("BITFIELD", () => {
  test.each(BITFIELD_GOLDEN)("BITFIELD %j", (args, expectedReply, expectedValue) => {
    const { reply, value } = bitfieldCommand(latin1("\xaa\x0f\xf0"), args);
    expect(reply).toEqual(expectedReply);
    expect(asLatin1(value)).toBe(expectedValue);
  });

  test("getBits answers numbers up to 53 bits and bigints above", () => {
    const value = latin1("\xff".repeat(9));
    expect(getBits(value, 0, 53, false)).toBe(2 ** 53 - 1);
    expect(getBits(value, 0, 53, true)).toBe(-1);
    expect(getBits(value, 0, 54, false)).toBe(2n ** 54n - 1n);
    expect(getBits(value, 3, 64, true)).toBe(-1n);
    // Bits 70 and 71 are the last two of the string, the rest read as 0.
    expect(getBits(value, 70, 8, false)).toBe(0xc0);
  });

  test("setBits writes two's complement and leaves the neighbours alone", () => {
    const value = new Uint8Array(3);
    setBits(value, 4, 12, -1);
    expect([...value]).toEqual([0x0f, 0xff, 0x00]);
    setBits(value, 4, 12, 0x123);
    expect([...value]).toEqual([0x01, 0x23, 0x00]);
    const wide = new Uint8Array(9);
    setBits(wide, 1, 64, -2n);
    expect(getBits(wide, 1, 64, true)).toBe(-2n);
    expect(wide[0]).toBe(0x7f);
    expect(wide[8]).toBe(0x00);
  });

  test("type parsing", () => {
    expect(parseBitfieldType(latin1("i64"))).toEqual({ signed: true, bits: 64 });
    expect(parseBitfieldType(latin1("u63"))).toEqual({ signed: false, bits: 63 });
    for (const bad of ["u64", "i65", "i0", "I8", "i08", "i+8", "i", "", "i8x", "i100"]) {
      expect(parseBitfieldType(latin1(bad))).toBeNull();
    }
  });
});

describe.skipIf(redisServerPath === null)("bitops differential against a live redis-server", () => {
  let oracle: RedisOracle;
  const seed = Date.now() | 0;
  const random = new Random(seed);

  beforeAll(async () => {
    oracle = await RedisOracle.start();
  });
  afterAll(async () => {
    await oracle.stop();
  });

  function randomValue(): Uint8Array {
    const value = new Uint8Array(random.nextInt(12));
    const flavour = random.nextInt(4);
    const specials = [0x00, 0xff, 0x80, 0x01, 0x7f, 0xfe];
    for (let i = 0; i < value.length; i++) {
      value[i] =
        flavour === 0
          ? 0xff
          : flavour === 1
            ? 0
            : flavour === 2
              ? specials[random.nextInt(specials.length)]!
              : random.nextInt(256);
    }
    return value;
  }

  function randomIndex(length: number): string {
    if (random.nextInt(10) === 0) return random.nextInt(2) === 0 ? "9223372036854775807" : "-9223372036854775808";
    const span = length * 8 + 20;
    return String(random.nextInt(2 * span) - span);
  }

  test("BITCOUNT and BITPOS over random strings and ranges", async () => {
    const cases: { value: Uint8Array; command: string[]; mine: () => number }[] = [];
    for (let i = 0; i < 3000; i++) {
      const value = randomValue();
      const unit = random.nextInt(2) === 0 ? "BIT" : "BYTE";
      const start = randomIndex(value.length);
      const end = randomIndex(value.length);
      const form = random.nextInt(4);
      if (random.nextInt(2) === 0) {
        const args = form === 0 ? [] : form === 1 ? [start, end] : [start, end, unit];
        cases.push({ value, command: ["BITCOUNT", "k", ...args], mine: () => bitcountCommand(asLatin1(value), args) });
      } else {
        const bit = random.nextInt(2) as 0 | 1;
        const args = [[], [start], [start, end], [start, end, unit]][form]!;
        cases.push({
          value,
          command: ["BITPOS", "k", String(bit), ...args],
          mine: () => bitposCommand(asLatin1(value), bit, args),
        });
      }
    }
    const replies = await oracle.pipeline(cases.flatMap((c) => [["SET", "k", c.value], c.command]));
    const mismatches = cases
      .map((c, i) => ({ c, real: replies[2 * i + 1], mine: c.mine() }))
      .filter(({ real, mine }) => real !== BigInt(mine))
      .map(({ c, real, mine }) => `seed ${seed}: ${JSON.stringify(asLatin1(c.value))} ${c.command.join(" ")} redis=${real} mine=${mine}`);
    expect(mismatches.slice(0, 10)).toEqual([]);
  });

  test("BITOP over random sources", async () => {
    const operations: BitOperation[] = ["and", "or", "xor", "not"];
    const mismatches: string[] = [];
    for (let round = 0; round < 200; round++) {
      const operation = operations[random.nextInt(4)]!;
      const sources = Array.from({ length: operation === "not" ? 1 : 1 + random.nextInt(4) }, randomValue);
      const replies = await oracle.pipeline([
        ["DEL", "d", "s0", "s1", "s2", "s3"],
        // An empty source is sometimes a missing key, sometimes an empty string.
        ...sources.flatMap((source, i) =>
          source.length === 0 && random.nextInt(2) === 0 ? [] : [["SET", `s${i}`, source]],
        ),
        ["BITOP", operation, "d", ...sources.map((_, i) => `s${i}`)],
        ["GET", "d"],
      ]);
      const mine = bitop(operation, sources);
      const real = replies[replies.length - 1];
      if ((real ?? "") !== asLatin1(mine) || replies[replies.length - 2] !== BigInt(mine.length)) {
        mismatches.push(`seed ${seed}: ${operation} ${JSON.stringify(sources.map(asLatin1))}`);
      }
    }
    expect(mismatches.slice(0, 10)).toEqual([]);
  });

  test("BITFIELD programs with every type, offset form and overflow mode", async () => {
    const mismatches: string[] = [];
    const number = (): string => {
      switch (random.nextInt(5)) {
        case 0:
          return String(
            BigInt.asIntN(64, BigInt(random.nextUint32()) * BigInt(random.nextUint32()) * BigInt(1 + random.nextInt(1024))),
          );
        case 1:
          return random.nextInt(2) === 0 ? "9223372036854775807" : String(-(2n ** 63n) + BigInt(random.nextInt(200)));
        default:
          return String(random.nextInt(600) - 300);
      }
    };
    for (let round = 0; round < 60; round++) {
      const initial = randomValue();
      const args: string[] = [];
      for (let i = 0; i < 30; i++) {
        const signed = random.nextInt(2) === 0;
        const type = (signed ? "i" : "u") + (1 + random.nextInt(signed ? 64 : 63));
        const offset = random.nextInt(3) === 0 ? "#" + random.nextInt(8) : String(random.nextInt(100));
        if (random.nextInt(4) === 0) args.push("OVERFLOW", ["WRAP", "SAT", "FAIL"][random.nextInt(3)]!);
        const operation = random.nextInt(3);
        if (operation === 0) args.push("GET", type, offset);
        else args.push(operation === 1 ? "SET" : "INCRBY", type, offset, number());
      }
      const replies = await oracle.pipeline([["SET", "k", initial], ["BITFIELD", "k", ...args], ["GET", "k"]]);
      const mine = bitfieldCommand(initial, args);
      if (replyText(replies[1]!) !== replyText(mine.reply) || replies[2] !== asLatin1(mine.value)) {
        mismatches.push(`seed ${seed}: BITFIELD k ${args.join(" ")} on ${JSON.stringify(asLatin1(initial))}`);
      }
    }
    expect(mismatches.slice(0, 5)).toEqual([]);
  });
});
