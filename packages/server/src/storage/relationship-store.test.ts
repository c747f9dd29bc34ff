import { testBackends } from "../testing/backends";
import { describeRelationshipStoreConformance } from "./relationship-store.conformance";

for (const backend of testBackends()) describeRelationshipStoreConformance(backend);
