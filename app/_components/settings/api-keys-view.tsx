"use client";

import { useMutation, useQuery, useQueryClient } from "@tanstack/react-query";
import { useId, useState, type FormEvent } from "react";
import { getUserMessage } from "../../_lib/errors";
import { formatDateTime } from "../../_lib/format";
import { useTRPC } from "../../_lib/trpc";
import { ErrorAlert } from "../error-alert";
import { Loading } from "../loading";
import { CopyField } from "./copy-field";

/** API keys of the workspace: create (the secret is shown once), list with last use, revoke. */
export function ApiKeysView() {
  const trpc = useTRPC();
  const queryClient = useQueryClient();
  const nameId = useId();
  const [name, setName] = useState("");
  const [created, setCreated] = useState<{ key: string; name: string } | null>(null);
  const keys = useQuery(trpc.keys.list.queryOptions({ limit: 100 }));
  const refresh = () => void queryClient.invalidateQueries(trpc.keys.list.pathFilter());
  const create = useMutation(
    trpc.keys.create.mutationOptions({
      onSuccess: (res) => {
        setCreated({ key: res.key, name: res.apiKey.name });
        setName("");
        refresh();
      },
    }),
  );
  const revoke = useMutation(trpc.keys.revoke.mutationOptions({ onSuccess: refresh }));

  const onSubmit = (e: FormEvent) => {
    e.preventDefault();
    setCreated(null);
    create.mutate({ name });
  };

  return (
    <>
      <section className="card" aria-labelledby="keys-create">
        <h2 id="keys-create">Create an API key</h2>
        <p className="muted small">Keys let the CLI and your scripts call the API for this workspace. Send them as <code>Authorization: Bearer …</code>.</p>
        <form className="form form--inline" onSubmit={onSubmit}>
          <div className="field">
            <label htmlFor={nameId}>Key name</label>
            <input id={nameId} className="input" value={name} onChange={(e) => setName(e.target.value)} placeholder="e.g. CI pipeline" maxLength={100} required />
          </div>
          <div className="actions">
            <button className="button" type="submit" disabled={create.isPending}>
              {create.isPending ? "Creating…" : "Create key"}
            </button>
          </div>
        </form>
        {create.error ? <ErrorAlert title="The key was not created" message={getUserMessage(create.error)} /> : null}
        {created ? (
          <div className="alert alert--success" role="status" data-testid="new-key">
            <strong>Key “{created.name}” created. Copy it now: it will not be shown again.</strong>
            <CopyField label="API key" value={created.key} testId="new-key-value" />
          </div>
        ) : null}
      </section>

      <section className="card" aria-labelledby="keys-list">
        <h2 id="keys-list">Keys</h2>
        {revoke.error ? <ErrorAlert title="The key was not revoked" message={getUserMessage(revoke.error)} /> : null}
        {keys.isPending ? (
          <Loading label="Loading keys…" />
        ) : keys.isError ? (
          <ErrorAlert title="Could not load the keys" message={getUserMessage(keys.error)} />
        ) : keys.data.items.length === 0 ? (
          <p className="muted" data-testid="keys-empty">No API keys yet.</p>
        ) : (
          <div className="table-wrap">
            <table className="table table--stack" data-testid="keys-table">
              <thead>
                <tr>
                  <th scope="col">Name</th>
                  <th scope="col">Prefix</th>
                  <th scope="col">Created</th>
                  <th scope="col">Last used</th>
                  <th scope="col">Status</th>
                  <th scope="col"><span className="visually-hidden">Actions</span></th>
                </tr>
              </thead>
              <tbody>
                {keys.data.items.map((k) => (
                  <tr key={k.id} data-testid="key-row">
                    <td data-label="Name">{k.name}</td>
                    <td data-label="Prefix" className="mono">{k.prefix}…</td>
                    <td data-label="Created">{formatDateTime(k.createdAt)}{k.createdByEmail ? <div className="muted small">{k.createdByEmail}</div> : null}</td>
                    <td data-label="Last used">{k.lastUsedAt ? formatDateTime(k.lastUsedAt) : "never"}</td>
                    <td data-label="Status">{k.revokedAt ? <span className="badge badge--canceled">revoked</span> : <span className="badge badge--ready">active</span>}</td>
                    <td data-label="">
                      {!k.revokedAt ? (
                        <button
                          type="button"
                          className="button button--ghost"
                          disabled={revoke.isPending}
                          aria-label={`Revoke ${k.name}`}
                          onClick={() => {
                            if (window.confirm(`Revoke the key “${k.name}”? Anything using it stops working at once.`)) revoke.mutate({ keyId: k.id });
                          }}
                        >
                          Revoke
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
    </>
  );
}
