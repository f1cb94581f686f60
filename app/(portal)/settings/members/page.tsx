import type { Metadata } from "next";
import { MembersView } from "../../../_components/settings/members-view";

export const metadata: Metadata = { title: "Members" };

/** Settings: Members. */
export default function Page() {
  return <MembersView />;
}
