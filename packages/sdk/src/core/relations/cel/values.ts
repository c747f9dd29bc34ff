/**
 * CEL values in JavaScript: int is bigint, double is number, uint/timestamp/duration/ipaddress are the
 * classes below, list is an array, map is a Map. Distinct classes keep int and double apart, as CEL does.
 */
export class CelUint {
  constructor(readonly value: bigint) {}
}

export class CelTimestamp {
  /** Epoch milliseconds (fractional for sub-millisecond precision). */
  constructor(readonly ms: number) {}
}

export class CelDuration {
  constructor(readonly ms: number) {}
}

export class CelIp {
  constructor(
    readonly value: bigint,
    readonly bits: 32 | 128,
    readonly text: string,
  ) {}
}

export class CelEvalError extends Error {}

export const INT_MIN = -(2n ** 63n);
export const INT_MAX = 2n ** 63n - 1n;
export const UINT_MAX = 2n ** 64n - 1n;

export function checkInt(v: bigint): bigint {
  if (v < INT_MIN || v > INT_MAX) throw new CelEvalError("int overflow");
  return v;
}

export function checkUint(v: bigint): CelUint {
  if (v < 0n || v > UINT_MAX) throw new CelEvalError("uint overflow");
  return new CelUint(v);
}

const RFC3339 = /^(\d{4})-(\d{2})-(\d{2})[Tt](\d{2}):(\d{2}):(\d{2})(\.\d+)?([Zz]|[+-]\d{2}:\d{2})$/;

export function parseTimestamp(text: string): CelTimestamp {
  const m = RFC3339.exec(text);
  const ms = m ? Date.parse(text) : Number.NaN;
  if (!m || Number.isNaN(ms)) throw new CelEvalError(`invalid timestamp '${text}'`);
  const fraction = m[7] ? Number(`0${m[7]}`) * 1000 : 0;
  return new CelTimestamp(Math.floor(ms / 1000) * 1000 + fraction);
}

const DURATION_UNITS: Record<string, number> = {
  h: 3_600_000,
  m: 60_000,
  s: 1000,
  ms: 1,
  us: 0.001,
  µs: 0.001,
  ns: 0.000001,
};

/** Go-style durations as CEL uses them: `1h30m`, `1.5s`, `-10ms`. */
export function parseDuration(text: string): CelDuration {
  let rest = text.trim();
  let sign = 1;
  if (rest.startsWith("-") || rest.startsWith("+")) {
    sign = rest.startsWith("-") ? -1 : 1;
    rest = rest.slice(1);
  }
  if (rest === "0") return new CelDuration(0);
  const part = /^(\d+(?:\.\d*)?|\.\d+)(ns|us|µs|ms|s|m|h)/;
  let total = 0;
  if (rest === "") throw new CelEvalError(`invalid duration '${text}'`);
  while (rest !== "") {
    const m = part.exec(rest);
    if (!m) throw new CelEvalError(`invalid duration '${text}'`);
    total += Number(m[1]) * DURATION_UNITS[m[2]!]!;
    rest = rest.slice(m[0].length);
  }
  return new CelDuration(sign * total);
}

export function parseIp(text: string): CelIp {
  const v4 = parseIpv4(text);
  if (v4 !== null) return new CelIp(v4, 32, text);
  const v6 = parseIpv6(text);
  if (v6 !== null) return new CelIp(v6, 128, text);
  throw new CelEvalError(`invalid ip address '${text}'`);
}

function parseIpv4(text: string): bigint | null {
  const parts = text.split(".");
  if (parts.length !== 4) return null;
  let v = 0n;
  for (const p of parts) {
    if (!/^\d{1,3}$/.test(p) || Number(p) > 255 || (p.length > 1 && p.startsWith("0"))) return null;
    v = (v << 8n) | BigInt(p);
  }
  return v;
}

function parseIpv6(text: string): bigint | null {
  if (!text.includes(":")) return null;
  let groups: string[];
  let tail: bigint | null = null;
  const lastColon = text.lastIndexOf(":");
  const maybeV4 = text.slice(lastColon + 1);
  let head = text;
  if (maybeV4.includes(".")) {
    tail = parseIpv4(maybeV4);
    if (tail === null) return null;
    head = `${text.slice(0, lastColon + 1)}0:0`;
  }
  const halves = head.split("::");
  if (halves.length > 2) return null;
  const left = halves[0] ? halves[0].split(":") : [];
  const right = halves.length === 2 && halves[1] ? halves[1].split(":") : [];
  if (halves.length === 2) {
    const missing = 8 - left.length - right.length;
    if (missing < 1) return null;
    groups = [...left, ...new Array<string>(missing).fill("0"), ...right];
  } else {
    groups = left;
  }
  if (groups.length !== 8) return null;
  let v = 0n;
  for (const g of groups) {
    if (!/^[0-9a-fA-F]{1,4}$/.test(g)) return null;
    v = (v << 16n) | BigInt(Number.parseInt(g, 16));
  }
  if (tail !== null) v = (v & ~0xffffffffn) | tail;
  return v;
}

export function ipInCidr(ip: CelIp, cidr: string): boolean {
  const slash = cidr.indexOf("/");
  if (slash < 0) throw new CelEvalError(`invalid CIDR '${cidr}'`);
  const network = parseIp(cidr.slice(0, slash));
  const prefixText = cidr.slice(slash + 1);
  const prefix = Number(prefixText);
  if (!/^\d+$/.test(prefixText) || prefix > network.bits) throw new CelEvalError(`invalid CIDR '${cidr}'`);
  if (network.bits !== ip.bits) return false;
  const shift = BigInt(network.bits - prefix);
  return ip.value >> shift === network.value >> shift;
}
