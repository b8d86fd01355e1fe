// Splitting of inline commands and config lines with Redis's sdssplitargs rules:
// whitespace separates arguments; "double quotes" understand \n \r \t \b \a \\ \" and
// \xHH; 'single quotes' understand only \'; a closing quote must be followed by
// whitespace or the end. Returns null for unbalanced quotes.

function isSpace(c: number): boolean {
  return c === 32 || c === 10 || c === 13 || c === 9 || c === 11 || c === 12;
}

function hexValue(c: number): number {
  if (c >= 48 && c <= 57) return c - 48;
  if (c >= 97 && c <= 102) return c - 87;
  if (c >= 65 && c <= 70) return c - 55;
  return -1;
}

export function splitInlineArgs(line: Uint8Array): Uint8Array[] | null {
  const args: Uint8Array[] = [];
  let i = 0;
  const n = line.length;
  const current: number[] = [];
  for (;;) {
    while (i < n && isSpace(line[i]!)) i++;
    if (i >= n) return args;
    let inDouble = false;
    let inSingle = false;
    let done = false;
    current.length = 0;
    while (!done) {
      if (inDouble) {
        if (i >= n) return null;
        const c = line[i]!;
        if (c === 92 /* \ */ && i + 3 < n && line[i + 1] === 120 /* x */ && hexValue(line[i + 2]!) >= 0 && hexValue(line[i + 3]!) >= 0) {
          current.push(hexValue(line[i + 2]!) * 16 + hexValue(line[i + 3]!));
          i += 3;
        } else if (c === 92 && i + 1 < n) {
          i++;
          const e = line[i]!;
          current.push(e === 110 ? 10 : e === 114 ? 13 : e === 116 ? 9 : e === 98 ? 8 : e === 97 ? 7 : e);
        } else if (c === 34 /* " */) {
          if (i + 1 < n && !isSpace(line[i + 1]!)) return null;
          done = true;
        } else {
          current.push(c);
        }
      } else if (inSingle) {
        if (i >= n) return null;
        const c = line[i]!;
        if (c === 92 && i + 1 < n && line[i + 1] === 39) {
          i++;
          current.push(39);
        } else if (c === 39) {
          if (i + 1 < n && !isSpace(line[i + 1]!)) return null;
          done = true;
        } else {
          current.push(c);
        }
      } else {
        if (i >= n) {
          done = true;
          break;
        }
        const c = line[i]!;
        if (isSpace(c)) done = true;
        else if (c === 34) inDouble = true;
        else if (c === 39) inSingle = true;
        else current.push(c);
      }
      if (i < n) i++;
    }
    args.push(Uint8Array.from(current));
  }
}

/** The same rules over text (config files), returning text arguments (bytes as latin1 chars). */
export function splitConfigLine(line: string): string[] | null {
  const bytes = Buffer.from(line, "utf8");
  const parts = splitInlineArgs(bytes);
  if (parts === null) return null;
  return parts.map((p) => Buffer.from(p).toString("utf8"));
}
