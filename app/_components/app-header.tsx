"use client";

import { useMutation, useQuery, useQueryClient } from "@tanstack/react-query";
import Link from "next/link";
import { usePathname, useRouter } from "next/navigation";
import { useTRPC } from "../_lib/trpc";
import { Brand } from "./brand";
import { WorkspaceSwitcher } from "./workspace-switcher";

const NAV_ITEMS = [
  { href: "/models", label: "Models" },
  { href: "/jobs", label: "Jobs" },
  { href: "/compare", label: "Compare" },
  { href: "/settings", label: "Settings" },
] as const;

/** Top bar: product name, main navigation (current section marked for screen readers), user email and sign out. */
export function AppHeader() {
  const trpc = useTRPC();
  const router = useRouter();
  const pathname = usePathname();
  const queryClient = useQueryClient();
  const me = useQuery(trpc.auth.me.queryOptions(undefined, { staleTime: 60_000 }));
  const signOut = useMutation(
    trpc.auth.signOut.mutationOptions({
      onSettled: () => {
        queryClient.clear();
        router.replace("/signin");
        router.refresh();
      },
    }),
  );

  return (
    <header className="app-header">
      <div className="app-header__inner">
        <Brand />
        <nav className="main-nav" aria-label="Main">
          {NAV_ITEMS.map((item) => {
            const current = pathname === item.href || pathname.startsWith(`${item.href}/`);
            return (
              <Link key={item.href} href={item.href} aria-current={current ? "page" : undefined}>
                {item.label}
              </Link>
            );
          })}
        </nav>
        <div className="user-menu">
          <WorkspaceSwitcher />
          <span className="user-menu__email" data-testid="user-email" title={me.data?.workspace.name}>
            {me.data?.user.email ?? "\u00a0"}
          </span>
          <button className="button button--secondary" type="button" onClick={() => signOut.mutate()} disabled={signOut.isPending}>
            {signOut.isPending ? "Signing out…" : "Sign out"}
          </button>
        </div>
      </div>
    </header>
  );
}
