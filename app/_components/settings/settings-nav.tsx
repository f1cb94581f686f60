"use client";

import Link from "next/link";
import { usePathname } from "next/navigation";

const SECTIONS = [
  { href: "/settings/keys", label: "API keys" },
  { href: "/settings/webhooks", label: "Webhooks" },
  { href: "/settings/members", label: "Members" },
] as const;

/** Tabs of the settings pages; the current one is marked for screen readers. */
export function SettingsNav() {
  const pathname = usePathname();
  return (
    <nav className="sub-nav" aria-label="Settings">
      {SECTIONS.map((s) => (
        <Link key={s.href} href={s.href} aria-current={pathname.startsWith(s.href) ? "page" : undefined}>
          {s.label}
        </Link>
      ))}
    </nav>
  );
}
