import type { Metadata } from "next";
import { WebhooksView } from "../../../_components/settings/webhooks-view";

export const metadata: Metadata = { title: "Webhooks" };

/** Settings: Webhooks. */
export default function Page() {
  return <WebhooksView />;
}
