"use client";

import { useMutation, useQuery, useQueryClient } from "@tanstack/react-query";
import { useId, useState, type FormEvent } from "react";
import { DEFAULT_WEBHOOK_EVENTS, WEBHOOK_EVENT_TYPES } from "../../../contracts/webhook-events";
import { getUserMessage } from "../../_lib/errors";
import { formatDateTime } from "../../_lib/format";
import { useTRPC, type TRouterOutputs } from "../../_lib/trpc";
import { ErrorAlert } from "../error-alert";
import { Loading } from "../loading";
import { CopyField } from "./copy-field";

type TEndpoint = TRouterOutputs["webhooks"]["list"]["items"][number];
type TMessage = TRouterOutputs["webhooks"]["deliveries"]["items"][number];

/** How often the delivery log refreshes while something is still pending. */
const PENDING_REFRESH_MS = 1500;

/**
 * Webhook endpoints: register one (URL + event filter; its signing secret is shown once), send a test event,
 * enable/disable, delete, and the delivery log with every attempt and a redeliver button.
 */
export function WebhooksView() {
  const trpc = useTRPC();
  const queryClient = useQueryClient();
  const endpoints = useQuery(trpc.webhooks.list.queryOptions({ limit: 100 }));
  const [selected, setSelected] = useState<string | null>(null);
  const refresh = () => {
    void queryClient.invalidateQueries(trpc.webhooks.list.pathFilter());
    void queryClient.invalidateQueries(trpc.webhooks.deliveries.pathFilter());
  };

  return (
    <>
      <CreateEndpointCard onCreated={(id) => { setSelected(id); refresh(); }} />
      <section className="card" aria-labelledby="endpoints-title">
        <h2 id="endpoints-title">Endpoints</h2>
        {endpoints.isPending ? (
          <Loading label="Loading endpoints…" />
        ) : endpoints.isError ? (
          <ErrorAlert title="Could not load the endpoints" message={getUserMessage(endpoints.error)} />
        ) : endpoints.data.items.length === 0 ? (
          <p className="muted" data-testid="webhooks-empty">No endpoints yet. Register one above to get job events.</p>
        ) : (
          <ul className="endpoint-list">
            {endpoints.data.items.map((e) => (
              <EndpointItem key={e.id} endpoint={e} expanded={selected === e.id} onToggle={() => setSelected(selected === e.id ? null : e.id)} onChanged={refresh} />
            ))}
          </ul>
        )}
      </section>
    </>
  );
}

function CreateEndpointCard({ onCreated }: { onCreated: (endpointId: string) => void }) {
  const trpc = useTRPC();
  const ids = { url: useId(), description: useId(), events: useId() };
  const [url, setUrl] = useState("");
  const [description, setDescription] = useState("");
  const [events, setEvents] = useState<Set<string>>(new Set(DEFAULT_WEBHOOK_EVENTS));
  const [secret, setSecret] = useState<string | null>(null);
  const create = useMutation(
    trpc.webhooks.create.mutationOptions({
      onSuccess: (res) => {
        setSecret(res.secret);
        setUrl("");
        setDescription("");
        onCreated(res.endpoint.id);
      },
    }),
  );
  const onSubmit = (e: FormEvent) => {
    e.preventDefault();
    setSecret(null);
    create.mutate({ url, events: WEBHOOK_EVENT_TYPES.filter((t) => events.has(t)), description: description || undefined });
  };
  return (
    <section className="card" aria-labelledby="webhook-create">
      <h2 id="webhook-create">Register an endpoint</h2>
      <form className="form" onSubmit={onSubmit}>
        <div className="field">
          <label htmlFor={ids.url}>Endpoint URL</label>
          <input id={ids.url} className="input" type="url" inputMode="url" required value={url} onChange={(e) => setUrl(e.target.value)} placeholder="https://example.com/hooks/condense" />
        </div>
        <div className="field">
          <label htmlFor={ids.description}>Description (optional)</label>
          <input id={ids.description} className="input" value={description} maxLength={200} onChange={(e) => setDescription(e.target.value)} />
        </div>
        <fieldset className="field">
          <legend>Events</legend>
          <div className="check-list check-list--row">
            {WEBHOOK_EVENT_TYPES.map((t) => (
              <label key={t}>
                <input
                  type="checkbox"
                  checked={events.has(t)}
                  onChange={() => {
                    const next = new Set(events);
                    if (next.has(t)) next.delete(t);
                    else next.add(t);
                    setEvents(next);
                  }}
                />{" "}
                <span className="mono">{t}</span>
              </label>
            ))}
          </div>
        </fieldset>
        {create.error ? <ErrorAlert title="The endpoint was not registered" message={getUserMessage(create.error)} /> : null}
        <div className="actions">
          <button className="button" type="submit" disabled={create.isPending}>
            {create.isPending ? "Registering…" : "Register endpoint"}
          </button>
        </div>
      </form>
      {secret ? (
        <div className="alert alert--success" role="status" data-testid="webhook-secret">
          <strong>Endpoint registered. Copy its signing secret now: it will not be shown again here.</strong>
          <CopyField label="Signing secret" value={secret} />
          <span className="small">Verify deliveries with any Standard Webhooks library (webhook-id, webhook-timestamp, webhook-signature headers).</span>
        </div>
      ) : null}
    </section>
  );
}

function EndpointItem({ endpoint, expanded, onToggle, onChanged }: { endpoint: TEndpoint; expanded: boolean; onToggle: () => void; onChanged: () => void }) {
  const trpc = useTRPC();
  const sendTest = useMutation(trpc.webhooks.sendTest.mutationOptions({ onSuccess: onChanged }));
  const update = useMutation(trpc.webhooks.update.mutationOptions({ onSuccess: onChanged }));
  const remove = useMutation(trpc.webhooks.delete.mutationOptions({ onSuccess: onChanged }));
  const error = sendTest.error ?? update.error ?? remove.error;
  return (
    <li className="endpoint" data-testid="webhook-endpoint">
      <div className="endpoint__head">
        <div>
          <div className="mono wrap">{endpoint.url}</div>
          <div className="muted small">
            {endpoint.description ? `${endpoint.description} · ` : ""}
            {endpoint.events.join(", ")}
          </div>
          {!endpoint.enabled ? <div className="field__error">Disabled: {endpoint.disabledReason ?? "by a user"}</div> : null}
        </div>
        <div className="actions">
          <span className={`badge badge--${endpoint.enabled ? "ready" : "canceled"}`}>{endpoint.enabled ? "enabled" : "disabled"}</span>
          <button type="button" className="button button--secondary" disabled={sendTest.isPending} onClick={() => sendTest.mutate({ endpointId: endpoint.id })}>
            {sendTest.isPending ? "Sending…" : "Send test event"}
          </button>
          <button type="button" className="button button--ghost" disabled={update.isPending} onClick={() => update.mutate({ endpointId: endpoint.id, enabled: !endpoint.enabled })}>
            {endpoint.enabled ? "Disable" : "Enable"}
          </button>
          <button
            type="button"
            className="button button--ghost"
            disabled={remove.isPending}
            aria-label={`Delete endpoint ${endpoint.url}`}
            onClick={() => {
              if (window.confirm(`Delete the endpoint ${endpoint.url}? It stops receiving events.`)) remove.mutate({ endpointId: endpoint.id });
            }}
          >
            Delete
          </button>
          <button type="button" className="button button--ghost" aria-expanded={expanded} onClick={onToggle}>
            {expanded ? "Hide deliveries" : "Deliveries"}
          </button>
        </div>
      </div>
      {error ? <ErrorAlert message={getUserMessage(error)} /> : null}
      {expanded || sendTest.isSuccess ? <DeliveryLog endpointId={endpoint.id} /> : null}
    </li>
  );
}

/** Newest deliveries of one endpoint with their attempts; pending ones refresh on their own. */
function DeliveryLog({ endpointId }: { endpointId: string }) {
  const trpc = useTRPC();
  const queryClient = useQueryClient();
  const deliveries = useQuery(
    trpc.webhooks.deliveries.queryOptions(
      { endpointId, limit: 20 },
      { refetchInterval: (q) => (q.state.data?.items.some((m) => m.state === "pending") ? PENDING_REFRESH_MS : false) },
    ),
  );
  const redeliver = useMutation(trpc.webhooks.redeliver.mutationOptions({ onSuccess: () => void queryClient.invalidateQueries(trpc.webhooks.deliveries.pathFilter()) }));
  if (deliveries.isPending) return <Loading label="Loading deliveries…" />;
  if (deliveries.isError) return <ErrorAlert title="Could not load deliveries" message={getUserMessage(deliveries.error)} />;
  if (deliveries.data.items.length === 0) return <p className="muted small">No deliveries yet. Send a test event or run a job.</p>;
  return (
    <div className="table-wrap">
      {redeliver.error ? <ErrorAlert title="Redelivery failed" message={getUserMessage(redeliver.error)} /> : null}
      <table className="table table--stack" data-testid="deliveries-table">
        <thead>
          <tr>
            <th scope="col">Event</th>
            <th scope="col">State</th>
            <th scope="col">Last attempt</th>
            <th scope="col">Created</th>
            <th scope="col"><span className="visually-hidden">Actions</span></th>
          </tr>
        </thead>
        <tbody>
          {deliveries.data.items.map((m) => (
            <tr key={m.id} data-testid="delivery-row" data-state={m.state}>
              <td data-label="Event" className="mono">{m.eventType}{m.jobId ? <div className="muted small">job {m.jobId.slice(0, 10)}</div> : null}</td>
              <td data-label="State"><span className={`badge badge--${deliveryBadge(m.state)}`}>{m.state}</span> <span className="muted small">{m.attempts} attempt{m.attempts === 1 ? "" : "s"}</span></td>
              <td data-label="Last attempt" className="small">{describeAttempt(m)}</td>
              <td data-label="Created">{formatDateTime(m.createdAt)}</td>
              <td data-label="">
                <button type="button" className="button button--ghost" disabled={redeliver.isPending || m.state === "pending"} onClick={() => redeliver.mutate({ messageId: m.id })} aria-label={`Redeliver ${m.eventType} ${m.id.slice(0, 8)}`}>
                  Redeliver
                </button>
              </td>
            </tr>
          ))}
        </tbody>
      </table>
    </div>
  );
}

function deliveryBadge(state: string): string {
  return state === "delivered" ? "succeeded" : state === "failed" ? "failed" : "running";
}

function describeAttempt(m: TMessage): string {
  const last = m.attemptsLog[0];
  if (!last) return m.state === "pending" ? "waiting for the first attempt" : "—";
  const answer = last.statusCode !== null ? `HTTP ${last.statusCode}` : (last.error ?? "no answer");
  return `${answer} in ${last.latencyMs} ms${m.nextAttemptAt ? ` · next try ${formatDateTime(m.nextAttemptAt)}` : ""}`;
}
