/**
 * A PostgreSQL wire-protocol server in front of one PGlite instance, so that pg, Prisma (adapter-pg) and
 * pg-boss talk to embedded Postgres exactly as to a real server.
 *
 * Why not @electric-sql/pglite-socket's server: its shared queue forwards single messages of different
 * connections in arrival order, so one client's Parse/Bind/Execute interleave with another's and hit the wrong
 * unnamed statement or portal (electric-sql/pglite#1046: "unnamed prepared statement does not exist",
 * "malformed array literal"); it also leaves its `processing` flag set when a query throws, which wedges
 * every later query.
 *
 * PGlite is one single-user backend. This server therefore gives it to one connection at a time:
 * a connection takes the backend with its first message and keeps it until a request cycle ends with
 * ReadyForQuery 'I' (idle). An extended query (Parse..Sync), a COPY, and an open transaction block
 * (ReadyForQuery 'T' or 'E') all keep it pinned; other connections' messages wait in FIFO order.
 * Consequence: one transaction at a time across all connections, as with any single-session database.
 */
import { createServer, type Server, type Socket } from "node:net";
import type { PGlite } from "@electric-sql/pglite";
import {
  MSG_QUERY,
  MSG_SYNC,
  MSG_TERMINATE,
  SYNC_MESSAGE,
  buildErrorResponse,
  buildQueryMessage,
  readTrailingReadyStatus,
  splitFrontendMessages,
} from "./pg-wire-messages";

export type TPgliteWireServerOptions = {
  host?: string;
  /** 0 picks a free port. */
  port: number;
  /** More clients are refused with SQLSTATE 53300, as Postgres does. */
  maxConnections?: number;
  /**
   * A connection idle inside a transaction block while others wait for the backend is terminated after this
   * long (Postgres' idle_in_transaction_session_timeout). Without it, code that opens a transaction on one
   * connection and then waits for a query on another would wait forever.
   */
  idleInTransactionTimeoutMs?: number;
};

export type TPgliteWireServer = {
  host: string;
  port: number;
  /** Counters for tests and diagnostics. */
  getStats: () => { connections: number; waiting: number; pinnedConnectionId: number | null; batches: number };
  /** Stops accepting, closes client sockets, rolls back what they left open. Does not close the PGlite. */
  close: () => Promise<void>;
};

type TConnection = {
  id: number;
  socket: Socket;
  buffer: Buffer;
  startupDone: boolean;
  /** Complete messages waiting for the backend, in order. */
  pending: Uint8Array[];
  closed: boolean;
  inWaitQueue: boolean;
};

const TAIL_BYTES = 6;

/** Starts the wire server for `db` and resolves once it listens. */
export async function startPgliteWireServer(db: PGlite, opts: TPgliteWireServerOptions): Promise<TPgliteWireServer> {
  const host = opts.host ?? "127.0.0.1";
  const maxConnections = opts.maxConnections ?? 200;
  const idleInTransactionTimeoutMs = opts.idleInTransactionTimeoutMs ?? 30_000;

  const connections = new Set<TConnection>();
  const waiting: TConnection[] = [];
  /** The connection the backend is pinned to (mid request cycle or inside a transaction block). */
  let pinned: TConnection | null = null;
  let draining = false;
  let batches = 0;
  let nextId = 1;
  let idleTimer: NodeJS.Timeout | undefined;
  /** When the pinned connection last finished a batch with nothing more to send. */
  let holderIdleSince: number | undefined;
  let drainIdle: Promise<void> = Promise.resolve();
  let resolveDrainIdle: (() => void) | undefined;

  /** Runs raw protocol bytes through PGlite; returns the last bytes of the output (for ReadyForQuery). */
  async function execute(bytes: Uint8Array, onData?: (chunk: Uint8Array) => void): Promise<Uint8Array> {
    let tail: Uint8Array = new Uint8Array(0);
    await db.runExclusive(() =>
      db.execProtocolRawStream(bytes, {
        onRawData: (chunk) => {
          onData?.(chunk);
          tail = keepTail(tail, chunk);
        },
      }),
    );
    batches += 1;
    return tail;
  }

  function enqueue(conn: TConnection) {
    if (conn.inWaitQueue || conn.closed || conn === pinned) return;
    conn.inWaitQueue = true;
    waiting.push(conn);
    if (pinned) terminateIdleHolder(pinned);
  }

  function schedule() {
    if (draining) return;
    drain().catch((err: unknown) => {
      // Only PGlite itself failing gets here (SQL errors travel to clients as ErrorResponse). Drop the connection
      // that held the backend so the others are not stuck behind it, and keep serving.
      process.stderr.write(`embedded PostgreSQL: ${(err as Error).message}\n`);
      const holder = pinned;
      pinned = null;
      if (holder) {
        holder.socket.destroy();
        closeConnection(holder);
      }
      if (waiting.length > 0) schedule();
    });
  }

  async function drain(): Promise<void> {
    draining = true;
    drainIdle = new Promise((resolve) => (resolveDrainIdle = resolve));
    try {
      while (true) {
        let conn: TConnection | undefined;
        if (pinned) {
          if (pinned.closed) {
            await releaseClosedConnection(pinned);
            continue;
          }
          // The backend stays with this connection until it finishes its cycle or transaction.
          if (pinned.pending.length === 0) break;
          conn = pinned;
        } else {
          conn = waiting.shift();
          if (!conn) break;
          conn.inWaitQueue = false;
          if (conn.closed || conn.pending.length === 0) continue;
        }
        await runBatch(conn);
        if (!pinned && conn.pending.length > 0) enqueue(conn);
      }
    } finally {
      // Must be reset even when a batch throws, or no later message would ever be processed.
      draining = false;
      resolveDrainIdle?.();
    }
  }

  /** Forwards the connection's messages up to the end of one request cycle (Sync, Query or Terminate). */
  async function runBatch(conn: TConnection) {
    clearIdleTimer();
    const batch: Uint8Array[] = [];
    let terminate = false;
    while (conn.pending.length > 0) {
      const msg = conn.pending.shift()!;
      if (msg[0] === MSG_TERMINATE) {
        terminate = true;
        break;
      }
      batch.push(msg);
      // A startup packet (first byte of its length is 0) must go alone: PGlite handles it on its own path.
      if (msg[0] === 0 || msg[0] === MSG_SYNC || msg[0] === MSG_QUERY) break;
    }
    if (batch.length > 0) {
      pinned = conn;
      try {
        const tail = await execute(concatBytes(batch), (chunk) => {
          if (!conn.closed && conn.socket.writable) conn.socket.write(Buffer.from(chunk));
        });
        if (readTrailingReadyStatus(tail) === "I") pinned = null;
        else if (conn.pending.length === 0) markHolderIdle(conn);
      } catch (err) {
        // PGlite answers SQL errors with ErrorResponse; a throw here means the backend itself failed.
        conn.socket.destroy(err as Error);
        conn.closed = true;
      }
    }
    if (terminate) {
      conn.closed = true;
      conn.socket.end();
    }
  }

  /** Leaves the backend clean after a client vanished mid-cycle or mid-transaction. */
  async function releaseClosedConnection(conn: TConnection) {
    try {
      // Sync ends a half-sent extended query; during COPY IN it is ignored, so abort the COPY first.
      let status = readTrailingReadyStatus(await execute(SYNC_MESSAGE));
      if (status === undefined) {
        status = readTrailingReadyStatus(await execute(concatBytes([buildCopyFail(), SYNC_MESSAGE])));
      }
      if (status !== "I" || db.isInTransaction()) await execute(buildQueryMessage("ROLLBACK"));
    } finally {
      if (pinned === conn) pinned = null;
    }
  }

  function clearIdleTimer() {
    if (idleTimer) clearTimeout(idleTimer);
    idleTimer = undefined;
    holderIdleSince = undefined;
  }

  /** The pinned connection has sent everything it had and keeps the backend (open transaction or mid-cycle). */
  function markHolderIdle(conn: TConnection) {
    clearIdleTimer();
    if (idleInTransactionTimeoutMs <= 0) return;
    holderIdleSince = Date.now();
    idleTimer = setTimeout(() => terminateIdleHolder(conn), idleInTransactionTimeoutMs);
    idleTimer.unref();
  }

  /**
   * Ends the pinned connection when it has been idle for the timeout and someone waits for the backend.
   * Checked when the timer fires and whenever a connection starts waiting. A lone slow client is left alone.
   */
  function terminateIdleHolder(conn: TConnection) {
    if (pinned !== conn || conn.closed || conn.pending.length > 0 || holderIdleSince === undefined) return;
    if (waiting.length === 0 || Date.now() - holderIdleSince < idleInTransactionTimeoutMs) return;
    clearIdleTimer();
    if (conn.socket.writable) {
      conn.socket.write(
        buildErrorResponse("25P03", "terminating connection due to idle-in-transaction timeout (embedded PostgreSQL runs one transaction at a time)"),
      );
    }
    conn.socket.destroy();
    closeConnection(conn);
  }

  function closeConnection(conn: TConnection) {
    if (conn.closed && !connections.has(conn)) return;
    conn.closed = true;
    conn.pending = [];
    connections.delete(conn);
    const at = waiting.indexOf(conn);
    if (at >= 0) waiting.splice(at, 1);
    conn.inWaitQueue = false;
    if (pinned === conn) schedule();
  }

  function onData(conn: TConnection, data: Buffer) {
    if (conn.closed) return;
    conn.buffer = conn.buffer.length === 0 ? data : Buffer.concat([conn.buffer, data]);
    let split;
    try {
      split = splitFrontendMessages(conn.buffer, conn.startupDone);
    } catch (err) {
      conn.socket.end(buildErrorResponse("08P01", (err as Error).message));
      closeConnection(conn);
      return;
    }
    conn.buffer = split.rest;
    conn.startupDone = split.startupDone;
    let added = false;
    for (const msg of split.messages) {
      if (msg.kind === "encryption-request") {
        conn.socket.write("N");
      } else if (msg.kind === "cancel-request") {
        // A cancel request comes on its own connection and expects it to be closed.
        conn.socket.end();
        closeConnection(conn);
        return;
      } else {
        conn.pending.push(msg.bytes);
        added = true;
      }
    }
    if (!added) return;
    if (pinned === conn) clearIdleTimer();
    else enqueue(conn);
    schedule();
  }

  const server: Server = createServer((socket) => {
    socket.setNoDelay(true);
    if (connections.size >= maxConnections) {
      socket.end(buildErrorResponse("53300", "sorry, too many clients already"));
      return;
    }
    const conn: TConnection = {
      id: nextId++,
      socket,
      buffer: Buffer.alloc(0),
      startupDone: false,
      pending: [],
      closed: false,
      inWaitQueue: false,
    };
    connections.add(conn);
    socket.on("data", (data) => onData(conn, data));
    socket.on("error", () => closeConnection(conn));
    socket.on("close", () => closeConnection(conn));
  });

  const port = await new Promise<number>((resolve, reject) => {
    server.once("error", reject);
    server.listen(opts.port, host, () => {
      server.off("error", reject);
      const address = server.address();
      resolve(typeof address === "object" && address ? address.port : opts.port);
    });
  });

  return {
    host,
    port,
    getStats: () => ({ connections: connections.size, waiting: waiting.length, pinnedConnectionId: pinned?.id ?? null, batches }),
    close: async () => {
      clearIdleTimer();
      const closed = new Promise<void>((resolve) => server.close(() => resolve()));
      for (const conn of [...connections]) {
        conn.socket.destroy();
        closeConnection(conn);
      }
      schedule();
      await drainIdle;
      if (pinned) await releaseClosedConnection(pinned);
      await closed;
    },
  };
}

function keepTail(tail: Uint8Array, chunk: Uint8Array): Uint8Array {
  if (chunk.length >= TAIL_BYTES) return chunk.slice(chunk.length - TAIL_BYTES);
  const joined = new Uint8Array(tail.length + chunk.length);
  joined.set(tail);
  joined.set(chunk, tail.length);
  return joined.slice(Math.max(0, joined.length - TAIL_BYTES));
}

function concatBytes(parts: Uint8Array[]): Uint8Array {
  if (parts.length === 1) return parts[0];
  return new Uint8Array(Buffer.concat(parts));
}

function buildCopyFail(): Uint8Array {
  const reason = Buffer.from("client disconnected\0");
  const out = Buffer.alloc(5 + reason.length);
  out[0] = 0x66; // 'f' CopyFail
  out.writeInt32BE(4 + reason.length, 1);
  reason.copy(out, 5);
  return new Uint8Array(out);
}
