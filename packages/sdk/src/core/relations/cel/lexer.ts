/** Tokens of the CEL subset used by OpenFGA conditions. */
export type Token =
  | { kind: "int"; value: bigint; pos: number }
  | { kind: "uint"; value: bigint; pos: number }
  | { kind: "double"; value: number; pos: number }
  | { kind: "string"; value: string; pos: number }
  | { kind: "bytes"; value: string; pos: number }
  | { kind: "ident"; value: string; pos: number }
  | { kind: "op"; value: string; pos: number }
  | { kind: "eof"; value: ""; pos: number };

export class CelSyntaxError extends Error {}

const OPERATORS = [
  "||",
  "&&",
  "==",
  "!=",
  "<=",
  ">=",
  "<",
  ">",
  "!",
  "+",
  "-",
  "*",
  "/",
  "%",
  "?",
  ":",
  ".",
  ",",
  "(",
  ")",
  "[",
  "]",
  "{",
  "}",
];
const ESCAPES: Record<string, string> = {
  n: "\n",
  r: "\r",
  t: "\t",
  "\\": "\\",
  "'": "'",
  '"': '"',
  "`": "`",
  "?": "?",
  a: "\x07",
  b: "\b",
  f: "\f",
  v: "\v",
};

export function tokenize(src: string): Token[] {
  const out: Token[] = [];
  let i = 0;
  while (i < src.length) {
    const c = src[i]!;
    if (/\s/.test(c)) {
      i++;
      continue;
    }
    if (c === "/" && src[i + 1] === "/") {
      while (i < src.length && src[i] !== "\n") i++;
      continue;
    }
    const start = i;
    if (/[0-9]/.test(c) || (c === "." && /[0-9]/.test(src[i + 1] ?? ""))) {
      i = readNumber(src, i, out);
      continue;
    }
    if (/[A-Za-z_]/.test(c)) {
      while (i < src.length && /[A-Za-z0-9_]/.test(src[i]!)) i++;
      const word = src.slice(start, i);
      const quote = src[i];
      if (
        (word === "r" || word === "R" || word === "b" || word === "B") &&
        (quote === '"' || quote === "'")
      ) {
        const raw = word === "r" || word === "R";
        const [text, next] = readString(src, i, raw);
        out.push({ kind: raw ? "string" : "bytes", value: text, pos: start });
        i = next;
        continue;
      }
      out.push({ kind: "ident", value: word, pos: start });
      continue;
    }
    if (c === '"' || c === "'") {
      const [text, next] = readString(src, i, false);
      out.push({ kind: "string", value: text, pos: start });
      i = next;
      continue;
    }
    const op = OPERATORS.find((o) => src.startsWith(o, i));
    if (!op) throw new CelSyntaxError(`unexpected character '${c}' at ${i}`);
    out.push({ kind: "op", value: op, pos: start });
    i += op.length;
  }
  out.push({ kind: "eof", value: "", pos: src.length });
  return out;
}

function readNumber(src: string, i: number, out: Token[]): number {
  const start = i;
  if (src.startsWith("0x", i) || src.startsWith("0X", i)) {
    i += 2;
    while (/[0-9a-fA-F]/.test(src[i] ?? "")) i++;
    const value = BigInt(src.slice(start, i));
    if (src[i] === "u" || src[i] === "U") {
      out.push({ kind: "uint", value, pos: start });
      return i + 1;
    }
    out.push({ kind: "int", value, pos: start });
    return i;
  }
  while (/[0-9]/.test(src[i] ?? "")) i++;
  let isDouble = false;
  if (src[i] === "." && /[0-9]/.test(src[i + 1] ?? "")) {
    isDouble = true;
    i++;
    while (/[0-9]/.test(src[i] ?? "")) i++;
  }
  if (src[i] === "e" || src[i] === "E") {
    let j = i + 1;
    if (src[j] === "+" || src[j] === "-") j++;
    if (/[0-9]/.test(src[j] ?? "")) {
      isDouble = true;
      i = j;
      while (/[0-9]/.test(src[i] ?? "")) i++;
    }
  }
  const text = src.slice(start, i);
  if (isDouble) {
    out.push({ kind: "double", value: Number(text), pos: start });
    return i;
  }
  if (src[i] === "u" || src[i] === "U") {
    out.push({ kind: "uint", value: BigInt(text), pos: start });
    return i + 1;
  }
  out.push({ kind: "int", value: BigInt(text), pos: start });
  return i;
}

function readString(src: string, i: number, raw: boolean): [string, number] {
  const quote = src[i]!;
  const triple = src.startsWith(quote.repeat(3), i);
  const close = triple ? quote.repeat(3) : quote;
  i += close.length;
  let text = "";
  while (i < src.length) {
    if (src.startsWith(close, i)) return [text, i + close.length];
    const c = src[i]!;
    if (!triple && c === "\n") break;
    if (c === "\\" && !raw) {
      const e = src[i + 1] ?? "";
      if (e === "u" || e === "x" || e === "U") {
        const len = e === "u" ? 4 : e === "x" ? 2 : 8;
        text += String.fromCodePoint(Number.parseInt(src.slice(i + 2, i + 2 + len), 16));
        i += 2 + len;
        continue;
      }
      const mapped = ESCAPES[e];
      if (mapped === undefined) throw new CelSyntaxError(`invalid escape '\\${e}' at ${i}`);
      text += mapped;
      i += 2;
      continue;
    }
    text += c;
    i++;
  }
  throw new CelSyntaxError(`unterminated string at ${i}`);
}
