import type { Metadata } from "next";
import { ApiKeysView } from "../../../_components/settings/api-keys-view";

export const metadata: Metadata = { title: "API keys" };

/** Settings: API keys. */
export default function Page() {
  return <ApiKeysView />;
}
