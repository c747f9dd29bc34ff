import { Writable } from "node:stream";
import Fastify from "fastify";
import { describe, expect, it } from "vitest";
import { logOptions, redactUrl } from "./log-options";

describe("the servers' request log", () => {
  it("masks credentials sent in a query string, and keeps the rest of the URL", async () => {
    const lines: string[] = [];
    const stream = new Writable({
      write(chunk, _encoding, done) {
        lines.push(String(chunk));
        done();
      },
    });
    const app = Fastify({ logger: { ...logOptions("info", ["req.headers.authorization"]), stream } });
    app.post("/oauth/token", async () => ({ ok: true }));
    try {
      await app.inject({
        method: "POST",
        url: "/oauth/token?grant_type=client_credentials&client_secret=tsr_cs_s3cret&client_id=app_1",
        headers: { authorization: "Bearer tsr_mgmt_s3cret" },
      });
    } finally {
      await app.close();
    }
    const log = lines.join("");
    // Before, the URL went to the log as sent, secret and all.
    expect(log).toContain(
      "/oauth/token?grant_type=client_credentials&client_secret=[redacted]&client_id=app_1",
    );
    expect(log).not.toContain("s3cret");
  });

  it("masks every credential-like parameter, however it is written", () => {
    expect(redactUrl("/v1/features?limit=5&cursor=abc")).toBe("/v1/features?limit=5&cursor=abc");
    expect(redactUrl("/x?api_key=k1&apiKey=k2&access_token=t&X-Amz-Signature=s&code=c&password=p")).toBe(
      "/x?api_key=[redacted]&apiKey=[redacted]&access_token=[redacted]&X-Amz-Signature=[redacted]&code=[redacted]&password=[redacted]",
    );
    // An encoded name is judged decoded; a malformed one as sent.
    expect(redactUrl("/x?client%5Fsecret=v&%E0%A4%A=1")).toBe("/x?client%5Fsecret=[redacted]&%E0%A4%A=1");
    expect(redactUrl("/x?token")).toBe("/x?token");
    expect(redactUrl("/plain")).toBe("/plain");
  });
});
