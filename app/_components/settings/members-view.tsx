"use client";

import { useMutation, useQuery, useQueryClient } from "@tanstack/react-query";
import { useId, useState, type FormEvent } from "react";
import { getUserMessage } from "../../_lib/errors";
import { formatDateTime } from "../../_lib/format";
import { useTRPC } from "../../_lib/trpc";
import { ErrorAlert } from "../error-alert";
import { Loading } from "../loading";
import { CopyField } from "./copy-field";

/** Members of the workspace: invite by link (no mail is sent), pending invitations, remove a member. */
export function MembersView() {
  const trpc = useTRPC();
  const queryClient = useQueryClient();
  const ids = { email: useId(), role: useId() };
  const me = useQuery(trpc.auth.me.queryOptions(undefined, { staleTime: 60_000 }));
  const members = useQuery(trpc.members.list.queryOptions({ limit: 100 }));
  const invitations = useQuery(trpc.members.invitations.queryOptions({ limit: 100 }, { retry: false }));
  const [email, setEmail] = useState("");
  const [role, setRole] = useState<"member" | "owner">("member");
  const [inviteUrl, setInviteUrl] = useState<string | null>(null);
  const refresh = () => {
    void queryClient.invalidateQueries(trpc.members.list.pathFilter());
    void queryClient.invalidateQueries(trpc.members.invitations.pathFilter());
  };
  const invite = useMutation(
    trpc.members.invite.mutationOptions({
      onSuccess: (res) => {
        setInviteUrl(res.inviteUrl);
        setEmail("");
        refresh();
      },
    }),
  );
  const revokeInvitation = useMutation(trpc.members.revokeInvitation.mutationOptions({ onSuccess: refresh }));
  const remove = useMutation(trpc.members.remove.mutationOptions({ onSuccess: refresh }));

  const onSubmit = (e: FormEvent) => {
    e.preventDefault();
    setInviteUrl(null);
    invite.mutate({ email, role });
  };

  return (
    <>
      <section className="card" aria-labelledby="invite-title">
        <h2 id="invite-title">Invite someone</h2>
        <form className="form form--inline" onSubmit={onSubmit}>
          <div className="field">
            <label htmlFor={ids.email}>Email</label>
            <input id={ids.email} className="input" type="email" autoComplete="off" required value={email} onChange={(e) => setEmail(e.target.value)} />
          </div>
          <div className="field">
            <label htmlFor={ids.role}>Role</label>
            <select id={ids.role} className="select" value={role} onChange={(e) => setRole(e.target.value === "owner" ? "owner" : "member")}>
              <option value="member">member</option>
              <option value="owner">owner</option>
            </select>
          </div>
          <div className="actions">
            <button className="button" type="submit" disabled={invite.isPending}>
              {invite.isPending ? "Creating link…" : "Create invite link"}
            </button>
          </div>
        </form>
        {invite.error ? <ErrorAlert title="No invitation was created" message={getUserMessage(invite.error)} /> : null}
        {inviteUrl ? (
          <div className="alert alert--success" role="status" data-testid="invite-link">
            <strong>Send this link to the invitee. It works once and is not shown again.</strong>
            <CopyField label="Invite link" value={inviteUrl} />
          </div>
        ) : null}
      </section>

      <section className="card" aria-labelledby="members-title">
        <h2 id="members-title">Members</h2>
        {remove.error ? <ErrorAlert title="The member was not removed" message={getUserMessage(remove.error)} /> : null}
        {members.isPending ? (
          <Loading label="Loading members…" />
        ) : members.isError ? (
          <ErrorAlert title="Could not load the members" message={getUserMessage(members.error)} />
        ) : (
          <div className="table-wrap">
            <table className="table table--stack" data-testid="members-table">
              <thead>
                <tr>
                  <th scope="col">Email</th>
                  <th scope="col">Role</th>
                  <th scope="col">Joined</th>
                  <th scope="col"><span className="visually-hidden">Actions</span></th>
                </tr>
              </thead>
              <tbody>
                {members.data.items.map((m) => (
                  <tr key={m.userId} data-testid="member-row">
                    <td data-label="Email">{m.email}{m.userId === me.data?.user.id ? <span className="muted small"> (you)</span> : null}</td>
                    <td data-label="Role">{m.role}</td>
                    <td data-label="Joined">{formatDateTime(m.joinedAt)}</td>
                    <td data-label="">
                      {m.userId !== me.data?.user.id ? (
                        <button
                          type="button"
                          className="button button--ghost"
                          disabled={remove.isPending}
                          aria-label={`Remove ${m.email}`}
                          onClick={() => {
                            if (window.confirm(`Remove ${m.email} from this workspace?`)) remove.mutate({ userId: m.userId });
                          }}
                        >
                          Remove
                        </button>
                      ) : null}
                    </td>
                  </tr>
                ))}
              </tbody>
            </table>
          </div>
        )}
      </section>

      <section className="card" aria-labelledby="invitations-title">
        <h2 id="invitations-title">Pending invitations</h2>
        {revokeInvitation.error ? <ErrorAlert title="The invitation was not revoked" message={getUserMessage(revokeInvitation.error)} /> : null}
        {invitations.isPending ? (
          <Loading label="Loading invitations…" />
        ) : invitations.isError ? (
          <p className="muted">{getUserMessage(invitations.error)}</p>
        ) : invitations.data.items.length === 0 ? (
          <p className="muted">No pending invitations.</p>
        ) : (
          <ul className="plain-list">
            {invitations.data.items.map((i) => (
              <li key={i.id} data-testid="invitation-row">
                <span>
                  {i.email} <span className="muted small">({i.role}, expires {formatDateTime(i.expiresAt)})</span>
                </span>
                <button type="button" className="button button--ghost" onClick={() => revokeInvitation.mutate({ invitationId: i.id })} aria-label={`Revoke the invitation of ${i.email}`}>
                  Revoke
                </button>
              </li>
            ))}
          </ul>
        )}
      </section>
    </>
  );
}
