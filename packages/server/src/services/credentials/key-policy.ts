import { BlockList, isIP } from "node:net";
import type { FieldError } from "../../errors";
import type { TimeWindow } from "../../storage/credential-store";

/** An allow-list compiled once per key, so verification is a lookup, not a parse. */
export interface IpAllowList {
  allows(ip: string): boolean;
}

const MAPPED_V4 = /^::ffff:(\d{1,3}\.\d{1,3}\.\d{1,3}\.\d{1,3})$/i;

/** Checks CIDRs ("10.0.0.0/8", "2001:db8::/32", or a bare address); returns the errors, empty if valid. */
export function checkCidrs(cidrs: readonly string[], pointer: string): FieldError[] {
  const errors: FieldError[] = [];
  cidrs.forEach((cidr, i) => {
    if (parseCidr(cidr) === undefined) {
      errors.push({ pointer: `${pointer}/${i}`, message: `"${cidr}" is not an IPv4 or IPv6 CIDR.` });
    }
  });
  return errors;
}

function parseCidr(cidr: string): { address: string; prefix: number; family: "ipv4" | "ipv6" } | undefined {
  const [address = "", prefixText, extra] = cidr.split("/");
  if (extra !== undefined) return undefined;
  const version = isIP(address);
  if (version === 0) return undefined;
  const max = version === 4 ? 32 : 128;
  const prefix =
    prefixText === undefined ? max : /^\d{1,3}$/.test(prefixText) ? Number(prefixText) : Number.NaN;
  if (!Number.isInteger(prefix) || prefix < 0 || prefix > max) return undefined;
  return { address, prefix, family: version === 4 ? "ipv4" : "ipv6" };
}

/** node:net's BlockList does the matching; IPv4-mapped IPv6 addresses are matched as the IPv4 they carry. */
export function compileAllowList(cidrs: readonly string[]): IpAllowList {
  const list = new BlockList();
  for (const cidr of cidrs) {
    const parsed = parseCidr(cidr);
    if (!parsed) continue;
    const mapped = parsed.family === "ipv6" ? MAPPED_V4.exec(parsed.address) : null;
    if (mapped && parsed.prefix >= 96) list.addSubnet(mapped[1]!, parsed.prefix - 96, "ipv4");
    else list.addSubnet(parsed.address, parsed.prefix, parsed.family);
  }
  return {
    allows(ip) {
      const mapped = MAPPED_V4.exec(ip);
      const address = mapped ? mapped[1]! : ip;
      const version = isIP(address);
      if (version === 0) return false;
      return list.check(address, version === 4 ? "ipv4" : "ipv6");
    },
  };
}

const CLOCK = /^([01]\d|2[0-3]):([0-5]\d)$/;
const formatters = new Map<string, Intl.DateTimeFormat>();

function formatter(timezone: string): Intl.DateTimeFormat {
  let f = formatters.get(timezone);
  if (!f) {
    f = new Intl.DateTimeFormat("en-US", {
      timeZone: timezone,
      weekday: "short",
      hour: "2-digit",
      minute: "2-digit",
      hourCycle: "h23",
    });
    formatters.set(timezone, f);
  }
  return f;
}

/** Checks a time window's clock times and zone; returns the errors, empty if valid. */
export function checkTimeWindow(window: TimeWindow, pointer: string): FieldError[] {
  const errors: FieldError[] = [];
  if (!CLOCK.test(window.start))
    errors.push({ pointer: `${pointer}/start`, message: "use HH:MM, 00:00–23:59" });
  if (!CLOCK.test(window.end)) errors.push({ pointer: `${pointer}/end`, message: "use HH:MM, 00:00–23:59" });
  if (window.timezone !== undefined) {
    try {
      formatter(window.timezone);
    } catch {
      errors.push({
        pointer: `${pointer}/timezone`,
        message: `"${window.timezone}" is not an IANA time zone.`,
      });
    }
  }
  return errors;
}

const WEEKDAYS: Record<string, number> = { Sun: 0, Mon: 1, Tue: 2, Wed: 3, Thu: 4, Fri: 5, Sat: 6 };

function minutes(clock: string): number {
  const [, h, m] = CLOCK.exec(clock)!;
  return Number(h) * 60 + Number(m);
}

/**
 * Whether `at` falls in the window, in the window's zone. A window whose end is before its start runs past
 * midnight, and its early-morning part belongs to the day it started on. start = end: the whole day.
 */
export function inTimeWindow(window: TimeWindow, at: Date): boolean {
  const parts = formatter(window.timezone ?? "UTC").formatToParts(at);
  const part = (type: string) => parts.find((p) => p.type === type)?.value ?? "";
  const day = WEEKDAYS[part("weekday")] ?? 0;
  const now = Number(part("hour")) * 60 + Number(part("minute"));
  const start = minutes(window.start);
  const end = minutes(window.end);
  const dayAllowed = (d: number) => window.days === undefined || window.days.includes(d);
  if (start === end) return dayAllowed(day);
  if (start < end) return now >= start && now < end && dayAllowed(day);
  if (now >= start) return dayAllowed(day);
  if (now < end) return dayAllowed((day + 6) % 7);
  return false;
}
