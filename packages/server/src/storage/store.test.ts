import { testBackends } from "../testing/backends";
import { describeStoreConformance } from "./store.conformance";

for (const backend of testBackends()) describeStoreConformance(backend);
