import type { Metadata } from "next";
import { cookies } from "next/headers";
import Link from "next/link";
import { Brand } from "../../_components/brand";
import { InviteAccept } from "../../_components/invite-accept";

export const metadata: Metadata = { title: "Invitation" };

/** Same name as in app/(portal)/layout.tsx (server/auth/session-token.ts SESSION_COOKIE_NAME). */
const SESSION_COOKIE_NAME = "condense_session";

/**
 * Invite link landing page. Outside the portal shell on purpose: a visitor without a session must keep the token
 * while signing in or up, so they get links that come back here instead of a redirect that drops it.
 */
export default async function InvitePage({ params }: { params: Promise<{ token: string }> }) {
  const { token } = await params;
  const signedIn = Boolean((await cookies()).get(SESSION_COOKIE_NAME)?.value);
  const next = encodeURIComponent(`/invite/${token}`);
  return (
    <main className="auth-shell">
      <div className="auth-card">
        <Brand />
        <div className="card">
          <h1>Join a workspace</h1>
          {signedIn ? (
            <InviteAccept token={token} />
          ) : (
            <>
              <p>You were invited to a Condense workspace. Sign in or create an account to accept.</p>
              <div className="actions">
                <Link className="button" href={`/signin?next=${next}`}>
                  Sign in
                </Link>
                <Link className="button button--secondary" href={`/signup?next=${next}`}>
                  Create an account
                </Link>
              </div>
            </>
          )}
        </div>
      </div>
    </main>
  );
}
