import type { AuthorizationModelJson } from "./model-json";

/** A hand-written JSON model for the unit tests (the DSL needs the transformer, a dependency core must not have). */
export const DOCS_MODEL: AuthorizationModelJson = {
  schema_version: "1.1",
  type_definitions: [
    { type: "user" },
    {
      type: "group",
      relations: { member: { this: {} } },
      metadata: {
        relations: {
          member: { directly_related_user_types: [{ type: "user" }, { type: "group", relation: "member" }] },
        },
      },
    },
    {
      type: "folder",
      relations: {
        parent: { this: {} },
        viewer: {
          union: {
            child: [
              { this: {} },
              {
                tupleToUserset: { tupleset: { relation: "parent" }, computedUserset: { relation: "viewer" } },
              },
            ],
          },
        },
      },
      metadata: {
        relations: {
          parent: { directly_related_user_types: [{ type: "folder" }] },
          viewer: {
            directly_related_user_types: [
              { type: "user" },
              { type: "user", wildcard: {} },
              { type: "group", relation: "member" },
            ],
          },
        },
      },
    },
    {
      type: "document",
      relations: {
        parent: { this: {} },
        blocked: { this: {} },
        owner: { this: {} },
        viewer: {
          difference: {
            base: {
              union: {
                child: [
                  { this: {} },
                  { computedUserset: { relation: "owner" } },
                  {
                    tupleToUserset: {
                      tupleset: { relation: "parent" },
                      computedUserset: { relation: "viewer" },
                    },
                  },
                ],
              },
            },
            subtract: { computedUserset: { relation: "blocked" } },
          },
        },
      },
      metadata: {
        relations: {
          parent: { directly_related_user_types: [{ type: "folder" }] },
          blocked: { directly_related_user_types: [{ type: "user" }] },
          owner: { directly_related_user_types: [{ type: "user" }] },
          viewer: {
            directly_related_user_types: [{ type: "user" }, { type: "user", condition: "in_office_hours" }],
          },
        },
      },
    },
  ],
  conditions: {
    in_office_hours: {
      name: "in_office_hours",
      expression: "now.getHours() >= 9 && now.getHours() < 17",
      parameters: { now: { type_name: "TYPE_NAME_TIMESTAMP" } },
    },
  },
};
