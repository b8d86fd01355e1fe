// Redis's sdscatrepr (sds.c): bytes as a double-quoted, escaped string that
// sdssplitargs reads back. Redis prints user bytes this way wherever a line must
// stay one printable line: MONITOR, CONFIG REWRITE values, the command line in the
// config dump, redis-cli's non-raw output, protocol-error log lines.

/**
 * `s` followed by `bytes` in double quotes: \\ \" \n \r \t \a \b escaped, the
 * isprint() range (0x20..0x7e in the C locale) as is, any other byte as \xNN with
 * lower-case hex. `bytes` is a Uint8Array or a binary string (one char per byte).
 */
export function sdscatrepr(s: string, bytes: Uint8Array | string): string {
  let out = s + '"';
  const binary = typeof bytes === "string";
  for (let i = 0; i < bytes.length; i++) {
    const c = binary ? bytes.charCodeAt(i) : bytes[i]!;
    if (c === 0x5c) out += "\\\\";
    else if (c === 0x22) out += '\\"';
    else if (c === 0x0a) out += "\\n";
    else if (c === 0x0d) out += "\\r";
    else if (c === 0x09) out += "\\t";
    else if (c === 0x07) out += "\\a";
    else if (c === 0x08) out += "\\b";
    else if (c >= 0x20 && c <= 0x7e) out += String.fromCharCode(c);
    else out += "\\x" + c.toString(16).padStart(2, "0");
  }
  return out + '"';
}
