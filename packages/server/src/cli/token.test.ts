import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { loadConfig } from "../config";
import { KyselyStore } from "../storage/kysely-store";
import { runTokenCreate } from "./token";

describe("tessera token create", () => {
  const dataDir = mkdtempSync(join(tmpdir(), "tessera-token-"));
  const config = loadConfig({ dataDir }, {});
  const create = (flags: { environment?: string; name?: string; rights?: string }) =>
    runTokenCreate(config, { environment: "development", name: "cli", kind: "management", ...flags });

  beforeAll(async () => {
    // What a first start leaves: the environments, here one of them.
    const store = await KyselyStore.open({ dataDir });
    await store.createEnvironment({ id: "env_dev", key: "development", name: "Development" });
    await store.close();
  });
  afterAll(() => rmSync(dataDir, { recursive: true, force: true }));

  it("names the environments there are for one that is not, rather than saying to start the server", async () => {
    // Before: 'No environment "prod". Start the server once (npm start) to create the defaults.', though the
    // server had started and made them.
    await expect(create({ environment: "prod" })).rejects.toThrow(
      'No environment "prod" (there are "development").',
    );
  });

  it("reads --rights as a list, a trailing comma included, and says so when it names none", async () => {
    // Before, "admin," was refused as 'Unknown rights:  ', and so was an empty --rights.
    await expect(create({ rights: "admin," })).resolves.toBeUndefined();
    await expect(create({ rights: "" })).rejects.toThrow(
      "--rights names no right (use admin, manage, decide)",
    );
    await expect(create({ rights: " , " })).rejects.toThrow("--rights names no right");
    await expect(create({ rights: "admin,root" })).rejects.toThrow("Unknown rights: root");
  });

  it("takes --expires-at as ISO 8601, never in this machine's zone", async () => {
    // Before, Date.parse read "2030-01-31T12:00" as local time, and "01/02/2030" by locale.
    for (const when of ["2030-01-31T12:00", "01/02/2030", "March 7 2030", "tomorrow"]) {
      await expect(
        runTokenCreate(config, {
          environment: "development",
          name: "x",
          kind: "management",
          expiresAt: when,
        }),
      ).rejects.toThrow(
        `--expires-at takes an ISO 8601 date, or date and time with its offset (2030-01-31, 2030-01-31T12:00:00Z), not "${when}"`,
      );
    }
    for (const when of [
      "2099-01-31",
      "2099-01-31T12:00:00Z",
      "2099-01-31T12:00+02:00",
      "2099-01-31T12:00:00.5-05:00",
    ]) {
      await expect(
        runTokenCreate(config, {
          environment: "development",
          name: "x",
          kind: "management",
          expiresAt: when,
        }),
      ).resolves.toBeUndefined();
    }
  });

  it("refuses a name the API would refuse", async () => {
    // Before, --name "" made a token with no name, which POST /v1/tokens refuses to make.
    await expect(create({ name: "" })).rejects.toThrow("--name takes a name of 1 to 200 characters.");
    await expect(create({ name: "x".repeat(201) })).rejects.toThrow("--name takes a name of 1 to 200");
  });
});
