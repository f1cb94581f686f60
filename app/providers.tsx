"use client";

import { MutationCache, QueryCache, QueryClient, QueryClientProvider } from "@tanstack/react-query";
import { createTRPCClient, httpBatchLink } from "@trpc/client";
import { useState, type ReactNode } from "react";
import type { AppRouter } from "../server/api/root";
import { isUnauthenticatedError } from "./_lib/errors";
import { TRPCProvider } from "./_lib/trpc";

const AUTH_PATHS = ["/signin", "/signup"];

/** A session that expired or was revoked mid-visit sends the user to sign in instead of showing broken pages. */
function redirectToSignIn(err: unknown) {
  if (typeof window === "undefined" || !isUnauthenticatedError(err)) return;
  if (AUTH_PATHS.includes(window.location.pathname)) return;
  window.location.assign("/signin");
}

function createQueryClient(): QueryClient {
  return new QueryClient({
    queryCache: new QueryCache({ onError: redirectToSignIn }),
    mutationCache: new MutationCache({ onError: redirectToSignIn }),
    defaultOptions: {
      queries: {
        staleTime: 5_000,
        // Auth and not-found errors will not fix themselves; one retry covers a blip in anything else.
        retry: (failureCount, err) => !isUnauthenticatedError(err) && !/not found/i.test((err as Error).message) && failureCount < 1,
        refetchOnWindowFocus: true,
      },
    },
  });
}

/**
 * Client-side providers: TanStack Query and the typed tRPC client on /api/trpc (same origin, cookie session).
 * Plain JSON on the wire (the API uses no transformer): timestamps arrive as ISO strings.
 */
export function Providers({ children }: { children: ReactNode }) {
  const [queryClient] = useState(createQueryClient);
  const [trpcClient] = useState(() =>
    createTRPCClient<AppRouter>({
      links: [httpBatchLink({ url: "/api/trpc" })],
    }),
  );
  return (
    <QueryClientProvider client={queryClient}>
      <TRPCProvider trpcClient={trpcClient} queryClient={queryClient}>
        {children}
      </TRPCProvider>
    </QueryClientProvider>
  );
}
