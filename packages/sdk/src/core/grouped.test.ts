import { describe, expect, it } from "vitest";
import { Grouped } from "./grouped";

interface Row {
  id: string;
  n: number;
}

const rows = () => new Grouped<Row>((row) => row.id);
const ids = (values: Iterable<Row>) => [...values].map((row) => `${row.id}=${row.n}`);

describe("Grouped", () => {
  it("holds nothing for a group never seen", () => {
    expect([...rows().values("t1")]).toEqual([]);
    expect(rows().all()).toEqual([]);
  });

  it("keeps groups apart and replaces a value with the same key", () => {
    const g = rows();
    g.set("t1", { id: "a", n: 1 });
    g.set("t2", { id: "a", n: 2 });
    g.set("t1", { id: "a", n: 3 });
    expect(ids(g.values("t1"))).toEqual(["a=3"]);
    expect(ids(g.values("t2"))).toEqual(["a=2"]);
  });

  it("goes from one value to several and back, in the order values were added", () => {
    const g = rows();
    g.set("t", { id: "a", n: 1 });
    g.set("t", { id: "b", n: 2 });
    g.set("t", { id: "c", n: 3 });
    g.set("t", { id: "b", n: 4 });
    expect(ids(g.values("t"))).toEqual(["a=1", "b=4", "c=3"]);
    g.delete("t", "a");
    g.delete("t", "c");
    expect(ids(g.values("t"))).toEqual(["b=4"]);
    // Back to one, it takes a second value again.
    g.set("t", { id: "d", n: 5 });
    expect(ids(g.values("t"))).toEqual(["b=4", "d=5"]);
    g.delete("t", "b");
    g.delete("t", "d");
    expect([...g.values("t")]).toEqual([]);
    expect(g.all()).toEqual([]);
  });

  it("deletes only the key asked for", () => {
    const g = rows();
    g.set("t", { id: "a", n: 1 });
    g.delete("t", "b");
    g.delete("other", "a");
    expect(ids(g.values("t"))).toEqual(["a=1"]);
  });

  it("lists every value of every group", () => {
    const g = rows();
    g.set("t1", { id: "a", n: 1 });
    g.set("t2", { id: "b", n: 2 });
    g.set("t2", { id: "c", n: 3 });
    expect(ids(g.all()).sort()).toEqual(["a=1", "b=2", "c=3"]);
  });

  it("groups plain strings by themselves, as the snapshot does a user's tenants", () => {
    const g = new Grouped<string>((s) => s);
    g.set("anne", "acme");
    g.set("anne", "acme");
    g.set("anne", "globex");
    expect([...g.values("anne")]).toEqual(["acme", "globex"]);
    g.delete("anne", "acme");
    expect([...g.values("anne")]).toEqual(["globex"]);
  });
});
