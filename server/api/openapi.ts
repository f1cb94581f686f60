import { z } from "zod";
import { appRouter } from "./root";
import { TRPC_ENDPOINT } from "./handler";
import type { TProcedureMeta } from "./trpc";

/**
 * The OpenAPI 3.1 document of the API, generated from the routers' own zod schemas with zod 4's `z.toJSONSchema`,
 * so it can never drift from what the server validates. It describes the tRPC HTTP convention as it is on the wire
 * (no transformer): queries are `GET /api/trpc/<path>?input=<URL-encoded JSON>`, mutations `POST /api/trpc/<path>`
 * with the JSON input as body; success is `{"result":{"data":…}}`, failure `{"error":{"message","code","data"}}`.
 */

/** One line per procedure for the document; procedures missing here get their path as summary. */
const SUMMARIES: Readonly<Record<string, string>> = {
  "auth.signUp": "Create an account with a personal workspace and sign in",
  "auth.signIn": "Sign in with email and password (returns a session token)",
  "auth.signOut": "End the current session",
  "auth.me": "The signed-in user and workspace",
  "auth.switchWorkspace": "Move the session to another of your workspaces",
  "models.createUpload": "Start a model upload (multipart, presigned part URLs)",
  "models.signUploadParts": "Presigned URLs for more upload parts",
  "models.completeUpload": "Finish an upload and validate the ONNX model",
  "models.get": "One model",
  "models.list": "Models of the workspace (cursor pagination)",
  "jobs.create": "Queue a compression job (supports the Idempotency-Key header and a per-job webhook)",
  "jobs.get": "One job with its artifacts",
  "jobs.list": "Jobs of the workspace (cursor pagination)",
  "jobs.cancel": "Cancel a queued or running job",
  "jobs.getArtifactUrl": "Short-lived download URL for an artifact",
  "presets.list": "Named pipelines",
  "keys.create": "Create an API key (shown once)",
  "keys.list": "API keys of the workspace",
  "keys.revoke": "Revoke an API key (401 from its next request)",
  "members.list": "Members of the workspace",
  "members.invite": "Invite an email address (returns the invitation link)",
  "members.invitations": "Open invitations",
  "members.revokeInvitation": "Withdraw an invitation",
  "members.acceptInvitation": "Join a workspace with an invitation token",
  "members.remove": "Remove a member (or leave)",
  "members.updateRole": "Make a member an owner or a member",
  "workspaces.list": "Your workspaces (for the workspace switcher)",
  "webhooks.create": "Add a webhook endpoint (returns its whsec_ secret)",
  "webhooks.list": "Webhook endpoints",
  "webhooks.get": "One webhook endpoint",
  "webhooks.update": "Change or enable/disable an endpoint",
  "webhooks.delete": "Delete an endpoint",
  "webhooks.getSecret": "An endpoint's signing secret",
  "webhooks.rotateSecret": "Rotate an endpoint's secret (old and new sign during the grace period)",
  "webhooks.sendTest": "Send a webhook.test event",
  "webhooks.deliveries": "Delivery log with every attempt",
  "webhooks.redeliver": "Send a message again (same webhook-id)",
  "webhooks.signingSecret": "The workspace secret that signs per-job webhooks",
  "models.listUploadParts": "Parts already stored for an interrupted upload (to resume it)",
  "datasets.createUpload": "Start a calibration/evaluation data upload (.npy, .npz, .pb or a .zip/.tar bundle)",
  "datasets.signUploadParts": "Presigned URLs for more dataset upload parts",
  "datasets.completeUpload": "Finish a dataset upload and validate its tensors",
  "datasets.list": "Datasets of the workspace (cursor pagination)",
  "datasets.get": "One dataset with its tensor summary",
  "datasets.delete": "Delete a dataset that no queued or running job uses",
  "jobs.logs": "A job's log lines after a given id (follow it by polling)",
  "tune.create": "Queue a goal-driven tune job (trials are child jobs)",
  "tune.get": "A tune job with its trials and its tune report (live while running)",
};

type TJsonSchema = Record<string, unknown>;
type TProcedureDef = { type: "query" | "mutation" | "subscription"; inputs: unknown[]; output?: unknown; meta?: TProcedureMeta };

function toJsonSchema(schema: unknown, io: "input" | "output"): TJsonSchema {
  if (!(schema instanceof z.ZodType)) return {};
  const json = z.toJSONSchema(schema, { io, unrepresentable: "any", target: "draft-2020-12" }) as TJsonSchema;
  delete json.$schema;
  return json;
}

const ERROR_SCHEMA: TJsonSchema = {
  type: "object",
  required: ["error"],
  properties: {
    error: {
      type: "object",
      properties: {
        message: { type: "string", description: "What was wrong and what to do, for the user" },
        code: { type: "integer", description: "JSON-RPC error code" },
        data: {
          type: "object",
          properties: {
            code: { type: "string", description: "tRPC code, e.g. UNAUTHORIZED, TOO_MANY_REQUESTS" },
            httpStatus: { type: "integer" },
            path: { type: ["string", "null"] },
            appCode: { type: ["string", "null"], description: "Condense error code (contracts/app-error.ts)" },
            details: { type: ["object", "null"] },
            zodError: { type: ["object", "null"], description: "Flattened validation errors" },
          },
        },
      },
    },
  },
};

/** Builds the OpenAPI 3.1 document; `serverUrl` is the platform's base URL (the document's `servers`). */
export function buildOpenApiDocument(opts: { serverUrl?: string; version?: string } = {}): TJsonSchema {
  const paths: Record<string, TJsonSchema> = {};
  const procedures = (appRouter._def as unknown as { procedures: Record<string, { _def: TProcedureDef }> }).procedures;
  for (const path of Object.keys(procedures).sort()) {
    const def = procedures[path]!._def;
    if (def.type === "subscription") continue;
    const input = def.inputs[0];
    const inputSchema = input ? toJsonSchema(input, "input") : undefined;
    const outputSchema = def.output ? toJsonSchema(def.output, "output") : {};
    const auth = def.meta?.auth ?? "none";
    const operation: TJsonSchema = {
      operationId: path,
      summary: SUMMARIES[path] ?? path,
      tags: [path.split(".")[0]],
      ...(auth === "none" ? { security: [] } : auth === "session" ? { security: [{ sessionCookie: [] }, { bearerSession: [] }], description: "Needs a signed-in session; API keys get 403." } : {}),
      responses: {
        "200": {
          description: "Success",
          content: { "application/json": { schema: { type: "object", required: ["result"], properties: { result: { type: "object", properties: { data: outputSchema } } } } } },
        },
        "400": { description: "Invalid input", content: { "application/json": { schema: { $ref: "#/components/schemas/Error" } } } },
        "401": { description: "No valid session or API key (revoked keys included)", content: { "application/json": { schema: { $ref: "#/components/schemas/Error" } } } },
        "404": { description: "Not found in this workspace", content: { "application/json": { schema: { $ref: "#/components/schemas/Error" } } } },
        "429": {
          description: "Rate limit or concurrent-jobs quota",
          headers: { "Retry-After": { description: "Seconds to wait (rate limits)", schema: { type: "integer" } } },
          content: { "application/json": { schema: { $ref: "#/components/schemas/Error" } } },
        },
      },
    };
    const parameters: TJsonSchema[] = [];
    if (path === "jobs.create") {
      parameters.push({
        name: "Idempotency-Key",
        in: "header",
        required: false,
        description: "Same key + same body returns the same job for 24 h; same key + different body is 422.",
        schema: { type: "string", maxLength: 255 },
      });
      (operation.responses as Record<string, unknown>)["422"] = { description: "Idempotency-Key reused with a different body", content: { "application/json": { schema: { $ref: "#/components/schemas/Error" } } } };
    }
    if (def.type === "query") {
      if (inputSchema) {
        parameters.push({ name: "input", in: "query", required: false, description: "The input as URL-encoded JSON", content: { "application/json": { schema: inputSchema } } });
      }
      paths[`${TRPC_ENDPOINT}/${path}`] = { get: { ...operation, ...(parameters.length ? { parameters } : {}) } };
    } else {
      paths[`${TRPC_ENDPOINT}/${path}`] = {
        post: {
          ...operation,
          ...(parameters.length ? { parameters } : {}),
          requestBody: { required: !!inputSchema, content: { "application/json": { schema: inputSchema ?? { type: "null" } } } },
        },
      };
    }
  }
  return {
    openapi: "3.1.0",
    info: {
      title: "Condense API",
      version: opts.version ?? "1",
      description:
        "Compression-as-a-service for ONNX models. tRPC over HTTP: queries are GET with ?input=<URL-encoded JSON>, mutations POST with a JSON body. Authenticate with `Authorization: Bearer cnd_live_…` (API key) or a session token.",
    },
    ...(opts.serverUrl ? { servers: [{ url: opts.serverUrl }] } : {}),
    security: [{ apiKey: [] }, { bearerSession: [] }, { sessionCookie: [] }],
    components: {
      securitySchemes: {
        apiKey: { type: "http", scheme: "bearer", bearerFormat: "cnd_live_<32>_<6>", description: "Workspace API key (keys.create)" },
        bearerSession: { type: "http", scheme: "bearer", description: "Session token from auth.signIn" },
        sessionCookie: { type: "apiKey", in: "cookie", name: "condense_session" },
      },
      schemas: { Error: ERROR_SCHEMA },
    },
    paths,
  };
}

/** Path the document is served at (app/api/openapi.json/route.ts and the plain API server). */
export const OPENAPI_PATH = "/api/openapi.json";

/** Answers GET /api/openapi.json. */
export function handleOpenApiRequest(req: Request): Response {
  const origin = new URL(req.url).origin;
  return Response.json(buildOpenApiDocument({ serverUrl: origin }), { headers: { "cache-control": "public, max-age=60" } });
}
