"use client";

import { useMutation, useQuery, useQueryClient } from "@tanstack/react-query";
import { useRouter } from "next/navigation";
import { useId } from "react";
import { getUserMessage } from "../_lib/errors";
import { useTRPC } from "../_lib/trpc";

/**
 * Header control to move the session to another workspace the user belongs to. Hidden with a single workspace;
 * every cached query belonged to the old workspace, so the cache is cleared on switch.
 */
export function WorkspaceSwitcher() {
  const trpc = useTRPC();
  const router = useRouter();
  const queryClient = useQueryClient();
  const id = useId();
  const workspaces = useQuery(trpc.workspaces.list.queryOptions({ limit: 100 }, { staleTime: 60_000, retry: false }));
  const switchWorkspace = useMutation(
    trpc.auth.switchWorkspace.mutationOptions({
      onSuccess: () => {
        queryClient.clear();
        router.replace("/models");
        router.refresh();
      },
    }),
  );
  const items = workspaces.data?.items ?? [];
  if (items.length < 2) return null;
  const current = items.find((w) => w.current);
  return (
    <div className="workspace-switcher">
      <label htmlFor={id} className="visually-hidden">
        Workspace
      </label>
      <select
        id={id}
        className="select select--compact"
        value={current?.id ?? ""}
        disabled={switchWorkspace.isPending}
        onChange={(e) => switchWorkspace.mutate({ workspaceId: e.target.value })}
        data-testid="workspace-switcher"
        title={switchWorkspace.error ? getUserMessage(switchWorkspace.error) : undefined}
      >
        {items.map((w) => (
          <option key={w.id} value={w.id}>
            {w.name} ({w.role})
          </option>
        ))}
      </select>
    </div>
  );
}
