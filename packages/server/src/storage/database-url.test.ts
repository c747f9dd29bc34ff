import { describe, expect, it } from "vitest";
import { openDatabase } from "./database";

describe("a database URL that does not lead to a database", () => {
  it("says the URL is unreadable and how to write one, not pg's bare 'Invalid URL'", async () => {
    // A "#" in a password ends the URL's authority: pg cannot read it at all.
    const error = await openDatabase({ url: "postgres://tessera:s3c#ret@127.0.0.1/db" }).catch(
      (e: Error) => e,
    );
    expect(error).toBeInstanceOf(Error);
    expect((error as Error).message).toMatch(/database URL is not a URL.*percent-encode/);
    expect((error as Error).message).not.toContain("s3c");
  });

  it("names the server it could not reach, never the password", async () => {
    // Port 1: nothing listens there, so the connection is refused at once.
    const error = await openDatabase({ url: "postgres://tessera:s3cret@127.0.0.1:1/db" }).catch(
      (e: Error) => e,
    );
    expect(error).toBeInstanceOf(Error);
    expect((error as Error).message).toMatch(
      /^Cannot connect to PostgreSQL at 127\.0\.0\.1:1: .*ECONNREFUSED/,
    );
    expect((error as Error).message).not.toContain("s3cret");
  });

  it("names the socket folder of a URL that points at one", async () => {
    const error = await openDatabase({ url: "postgres://tessera@/db?host=/nonexistent-socket-dir" }).catch(
      (e: Error) => e,
    );
    expect((error as Error).message).toMatch(
      /^Cannot connect to PostgreSQL at \/nonexistent-socket-dir \(socket\)/,
    );
  });
});
