import { Type } from "@sinclair/typebox";
import type { FastifyInstance } from "fastify";
import {
  FeatureBody,
  FlagBody,
  GrantBody,
  MembershipBody,
  PermissionBody,
  PlanBody,
  patchOf,
  RoleBody,
  RouteBody,
  SubscriptionBody,
  TenantBody,
  UserBody,
} from "../../schemas/catalog";
import { Id, Metadata, Page, PageQuery, ProblemResponses } from "../../schemas/common";
import { membershipId } from "../../services/catalog/memberships";
import { principalOf, requireRight } from "../auth";
import type { Services } from "../services";
import { registerResourceRoutes } from "./resource-routes";

const ByTenant = Type.Object({ tenantId: Type.Optional(Id) });

export function registerCatalogRoutes(app: FastifyInstance, services: Services): void {
  const kinds = [
    {
      kind: "feature",
      plural: "features",
      singular: "Feature",
      idParam: "key",
      create: FeatureBody,
      patch: patchOf(FeatureBody, ["key", "type"]),
    },
    {
      kind: "permission",
      plural: "permissions",
      singular: "Permission",
      idParam: "key",
      create: PermissionBody,
      patch: patchOf(PermissionBody, ["key"]),
    },
    {
      kind: "role",
      plural: "roles",
      singular: "Role",
      idParam: "key",
      create: RoleBody,
      patch: patchOf(RoleBody, ["key"]),
    },
    {
      kind: "plan",
      plural: "plans",
      singular: "Plan",
      idParam: "key",
      create: PlanBody,
      patch: patchOf(PlanBody, ["key"]),
    },
    {
      kind: "flag",
      plural: "flags",
      singular: "Flag",
      idParam: "key",
      create: FlagBody,
      patch: patchOf(FlagBody, ["key"]),
    },
    {
      kind: "route",
      plural: "routes",
      singular: "RouteRule",
      idParam: "id",
      create: RouteBody,
      patch: patchOf(RouteBody, ["id"]),
    },
    {
      kind: "tenant",
      plural: "tenants",
      singular: "Tenant",
      idParam: "id",
      create: TenantBody,
      patch: patchOf(TenantBody, ["id"]),
    },
    {
      kind: "user",
      plural: "users",
      singular: "User",
      idParam: "id",
      create: UserBody,
      patch: patchOf(UserBody, ["id"]),
    },
    {
      kind: "subscription",
      plural: "subscriptions",
      singular: "Subscription",
      idParam: "id",
      create: SubscriptionBody,
      patch: patchOf(SubscriptionBody, ["id", "tenantId"]),
      listFilters: ByTenant,
    },
    {
      kind: "grant",
      plural: "grants",
      singular: "Grant",
      idParam: "id",
      create: GrantBody,
      patch: patchOf(GrantBody, ["id", "tenantId", "userId"]),
      listFilters: ByTenant,
    },
  ] as const;
  for (const spec of kinds) registerResourceRoutes(app, services, spec);
  registerMemberRoutes(app, services);
}

/** A user's roles in a tenant, addressed as a sub-resource of the tenant. */
function registerMemberRoutes(app: FastifyInstance, { catalog, tokens }: Services): void {
  const manage = requireRight(tokens, "manage");
  const params = Type.Object({ tenantId: Id, userId: Id });
  const member = Type.Object({
    tenantId: Type.String(),
    userId: Type.String(),
    roles: Type.Array(Type.String()),
    ...Metadata,
  });
  const errors = ProblemResponses;
  const tags = ["members"];

  app.put(
    "/v1/tenants/:tenantId/members/:userId",
    {
      onRequest: manage,
      schema: {
        operationId: "setMember",
        tags,
        params,
        body: MembershipBody,
        response: { 200: member, ...errors },
      },
    },
    async (request) => {
      const principal = principalOf(request);
      const { tenantId, userId } = request.params as { tenantId: string; userId: string };
      const { roles } = request.body as { roles: string[] };
      return catalog.put(principal.environmentId, principal.tokenId, "membership", {
        tenantId,
        userId,
        roles,
      });
    },
  );
  app.get(
    "/v1/tenants/:tenantId/members",
    {
      onRequest: manage,
      schema: {
        operationId: "listMembers",
        tags,
        params: Type.Object({ tenantId: Id }),
        querystring: PageQuery,
        response: { 200: Page(member), ...errors },
      },
    },
    async (request) => {
      const { tenantId } = request.params as { tenantId: string };
      const query = request.query as { cursor?: string; limit?: number };
      return catalog.list(principalOf(request).environmentId, "membership", { ...query, tenantId });
    },
  );
  app.get(
    "/v1/tenants/:tenantId/members/:userId",
    {
      onRequest: manage,
      schema: { operationId: "getMember", tags, params, response: { 200: member, ...errors } },
    },
    async (request) => {
      const { tenantId, userId } = request.params as { tenantId: string; userId: string };
      return catalog.get(principalOf(request).environmentId, "membership", membershipId(tenantId, userId));
    },
  );
  app.delete(
    "/v1/tenants/:tenantId/members/:userId",
    {
      onRequest: manage,
      schema: { operationId: "removeMember", tags, params, response: { 204: Type.Null(), ...errors } },
    },
    async (request, reply) => {
      const principal = principalOf(request);
      const { tenantId, userId } = request.params as { tenantId: string; userId: string };
      await catalog.delete(
        principal.environmentId,
        principal.tokenId,
        "membership",
        membershipId(tenantId, userId),
      );
      return reply.code(204).send();
    },
  );
}
