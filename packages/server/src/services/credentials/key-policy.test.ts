import { describe, expect, it } from "vitest";
import { checkCidrs, checkTimeWindow, compileAllowList, inTimeWindow } from "./key-policy";

describe("IP allow-lists", () => {
  const list = compileAllowList(["10.0.0.0/8", "192.168.1.7", "2001:db8::/32", "::ffff:172.16.0.0/108"]);

  it("matches IPv4 and IPv6 subnets and single addresses", () => {
    expect(list.allows("10.1.2.3")).toBe(true);
    expect(list.allows("11.0.0.1")).toBe(false);
    expect(list.allows("192.168.1.7")).toBe(true);
    expect(list.allows("192.168.1.8")).toBe(false);
    expect(list.allows("2001:db8:1::5")).toBe(true);
    expect(list.allows("2001:db9::5")).toBe(false);
  });

  it("matches an IPv4-mapped IPv6 address as its IPv4, both ways", () => {
    expect(list.allows("::ffff:10.9.9.9")).toBe(true);
    expect(list.allows("::FFFF:11.9.9.9")).toBe(false);
    expect(list.allows("172.16.5.5")).toBe(true);
    expect(list.allows("172.32.0.1")).toBe(false);
  });

  it("refuses what is not an address", () => {
    expect(list.allows("not-an-ip")).toBe(false);
    expect(list.allows("")).toBe(false);
    expect(checkCidrs(["10.0.0.0/33", "1.2.3.4/8/1", "fe80::/129", "x", "10.0.0.0/8", "::1"], "/ip")).toEqual(
      [
        expect.objectContaining({ pointer: "/ip/0" }),
        expect.objectContaining({ pointer: "/ip/1" }),
        expect.objectContaining({ pointer: "/ip/2" }),
        expect.objectContaining({ pointer: "/ip/3" }),
      ],
    );
  });
});

describe("time windows", () => {
  it("office hours on weekdays, in UTC by default", () => {
    const w = { days: [1, 2, 3, 4, 5], start: "09:00", end: "17:00" };
    expect(inTimeWindow(w, new Date("2025-01-06T09:00:00Z"))).toBe(true); // Monday
    expect(inTimeWindow(w, new Date("2025-01-06T17:00:00Z"))).toBe(false);
    expect(inTimeWindow(w, new Date("2025-01-06T08:59:00Z"))).toBe(false);
    expect(inTimeWindow(w, new Date("2025-01-05T12:00:00Z"))).toBe(false); // Sunday
  });

  it("in another zone", () => {
    const w = { start: "09:00", end: "17:00", timezone: "America/New_York" };
    expect(inTimeWindow(w, new Date("2025-01-06T14:30:00Z"))).toBe(true); // 09:30 in New York
    expect(inTimeWindow(w, new Date("2025-01-06T10:00:00Z"))).toBe(false); // 05:00 in New York
  });

  it("past midnight, the early part belongs to the day it started", () => {
    const w = { days: [5], start: "22:00", end: "02:00" };
    expect(inTimeWindow(w, new Date("2025-01-10T23:00:00Z"))).toBe(true); // Friday 23:00
    expect(inTimeWindow(w, new Date("2025-01-11T01:00:00Z"))).toBe(true); // Saturday 01:00, Friday's window
    expect(inTimeWindow(w, new Date("2025-01-11T23:00:00Z"))).toBe(false); // Saturday 23:00
    expect(inTimeWindow(w, new Date("2025-01-10T03:00:00Z"))).toBe(false);
  });

  it("refuses bad clock times and zones", () => {
    expect(checkTimeWindow({ start: "24:00", end: "9:00", timezone: "Mars/Base" }, "/tw")).toHaveLength(3);
    expect(checkTimeWindow({ start: "00:00", end: "23:59", timezone: "Europe/Paris" }, "/tw")).toEqual([]);
  });
});
