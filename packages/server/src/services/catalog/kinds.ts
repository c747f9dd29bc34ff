import type { ResourceKind } from "@tessera/sdk/core";
import { apis } from "./apis";
import type { KindDefinition } from "./definition";
import { features } from "./features";
import { flags } from "./flags";
import { grants } from "./grants";
import { memberships } from "./memberships";
import { permissions } from "./permissions";
import { plans } from "./plans";
import { roles } from "./roles";
import { routes } from "./routes";
import { subscriptions } from "./subscriptions";
import { tenants } from "./tenants";
import { users } from "./users";

export const KINDS: Record<ResourceKind, KindDefinition> = {
  feature: features as KindDefinition,
  permission: permissions as KindDefinition,
  role: roles as KindDefinition,
  plan: plans as KindDefinition,
  flag: flags as KindDefinition,
  route: routes as KindDefinition,
  api: apis as KindDefinition,
  tenant: tenants as KindDefinition,
  user: users as KindDefinition,
  membership: memberships as KindDefinition,
  subscription: subscriptions as KindDefinition,
  grant: grants as KindDefinition,
};
