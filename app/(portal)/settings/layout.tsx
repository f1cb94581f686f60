import type { ReactNode } from "react";
import { SettingsNav } from "../../_components/settings/settings-nav";

/** Settings pages share a heading and a sub-navigation. */
export default function SettingsLayout({ children }: { children: ReactNode }) {
  return (
    <>
      <div className="page-header">
        <div>
          <h1>Settings</h1>
          <p>API keys, webhooks and the people in this workspace.</p>
        </div>
      </div>
      <SettingsNav />
      {children}
    </>
  );
}
