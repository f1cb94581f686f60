import type { Metadata } from "next";
import { JobsView } from "../../_components/jobs-view";

export const metadata: Metadata = { title: "Jobs" };

/** Every job of the workspace, newest first. */
export default function JobsPage() {
  return <JobsView />;
}
