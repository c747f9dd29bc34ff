import { describe, expect, it } from "vitest";
import { compileModel } from "./model";
import type { AuthorizationModelJson } from "./model-json";
import { DOCS_MODEL } from "./test-model";

const withDoc = (relations: AuthorizationModelJson["type_definitions"][number]): AuthorizationModelJson => ({
  schema_version: "1.1",
  type_definitions: [{ type: "user" }, relations],
});

describe("compileModel", () => {
  it("accepts a valid model", () => {
    expect(compileModel(DOCS_MODEL).errors).toEqual([]);
  });

  it("names undefined relations and types with a path", () => {
    const { model, errors } = compileModel(
      withDoc({
        type: "doc",
        relations: { viewer: { this: {} }, editor: { computedUserset: { relation: "nope" } } },
        metadata: { relations: { viewer: { directly_related_user_types: [{ type: "ghost" }] } } },
      }),
    );
    expect(model).toBeNull();
    expect(errors.map((e) => e.code)).toEqual(["INVALID_MODEL", "INVALID_MODEL"]);
    expect(errors.map((e) => e.message).join(" ")).toMatch(/ghost.*nope|nope.*ghost/s);
    expect(errors[0]?.path).toMatch(/^type_definitions\[1\]/);
  });

  it("refuses relations that can never terminate", () => {
    const { errors } = compileModel(
      withDoc({
        type: "doc",
        relations: { a: { computedUserset: { relation: "b" } }, b: { computedUserset: { relation: "a" } } },
      }),
    );
    expect(errors).toHaveLength(2);
    expect(errors[0]?.message).toContain("can never be satisfied");
  });

  it("refuses conditions that do not parse or use undeclared parameters", () => {
    const model = structuredClone(DOCS_MODEL);
    model.conditions = { in_office_hours: { name: "in_office_hours", expression: "x < ", parameters: {} } };
    expect(compileModel(model).errors[0]?.path).toBe("conditions.in_office_hours.expression");
  });
});
