import { testBackends } from "../testing/backends";
import { describeCredentialStoreConformance } from "./credential-store.conformance";

for (const backend of testBackends()) describeCredentialStoreConformance(backend);
