"use client";

import { useMutation, useQueryClient } from "@tanstack/react-query";
import { useRouter } from "next/navigation";
import { getUserMessage } from "../_lib/errors";
import { useTRPC } from "../_lib/trpc";
import { ErrorAlert } from "./error-alert";

/** Accepts an invitation for the signed-in user, then opens the portal in the joined workspace. */
export function InviteAccept({ token }: { token: string }) {
  const trpc = useTRPC();
  const router = useRouter();
  const queryClient = useQueryClient();
  const switchWorkspace = useMutation(
    trpc.auth.switchWorkspace.mutationOptions({
      onSettled: () => {
        queryClient.clear();
        router.replace("/models");
        router.refresh();
      },
    }),
  );
  // Accepting keeps the session in its current workspace: switch to the one just joined, as the user expects.
  const accept = useMutation(trpc.members.acceptInvitation.mutationOptions({ onSuccess: (res) => switchWorkspace.mutate({ workspaceId: res.workspace.id }) }));
  return (
    <>
      <p>Accept the invitation to see and run jobs on this workspace&apos;s models.</p>
      {accept.error ? <ErrorAlert title="The invitation could not be accepted" message={getUserMessage(accept.error)} /> : null}
      {accept.data ? (
        <div className="alert alert--success" role="status">
          You joined {accept.data.workspace.name} as {accept.data.role}.
        </div>
      ) : null}
      <div className="actions">
        <button className="button" type="button" onClick={() => accept.mutate({ token })} disabled={accept.isPending || accept.isSuccess}>
          {accept.isPending ? "Joining…" : "Accept invitation"}
        </button>
      </div>
    </>
  );
}
