import type { ReactNode } from "react";
import { Brand } from "../_components/brand";

/** Sign-in and sign-up: a centred card, no app navigation. */
export default function AuthLayout({ children }: { children: ReactNode }) {
  return (
    <main className="auth-shell">
      <div className="auth-card">
        <Brand />
        {children}
      </div>
    </main>
  );
}
