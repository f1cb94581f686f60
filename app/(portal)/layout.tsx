import { cookies } from "next/headers";
import { redirect } from "next/navigation";
import type { ReactNode } from "react";
import { AppHeader } from "../_components/app-header";

/**
 * Name of the session cookie set by auth.signIn/signUp (server/auth/session-token.ts SESSION_COOKIE_NAME).
 * Repeated here rather than imported so the page bundle does not pull in node:crypto.
 */
const SESSION_COOKIE_NAME = "condense_session";

/**
 * The signed-in app shell. Visitors without a session cookie go to /signin before any page renders;
 * a cookie that turns out expired or revoked is caught by the first API call (see providers.tsx).
 */
export default async function PortalLayout({ children }: { children: ReactNode }) {
  const cookieStore = await cookies();
  if (!cookieStore.get(SESSION_COOKIE_NAME)?.value) redirect("/signin");
  return (
    <>
      <a className="skip-link" href="#main">
        Skip to content
      </a>
      <AppHeader />
      <main id="main" className="page">
        {children}
      </main>
    </>
  );
}
