/**
 * Just enough of the PostgreSQL frontend/backend wire protocol (v3) to route messages of many client
 * connections into one PGlite backend: framing of incoming messages, recognising the messages that end a
 * request cycle, and reading the transaction status of a ReadyForQuery reply.
 * https://www.postgresql.org/docs/current/protocol-message-formats.html
 */

/** Startup-phase request codes (sent without a type byte). */
export const SSL_REQUEST_CODE = 80877103;
export const GSSENC_REQUEST_CODE = 80877104;
export const CANCEL_REQUEST_CODE = 80877102;
export const PROTOCOL_V3 = 196608;

/** Type bytes of the frontend messages we treat specially. */
export const MSG_QUERY = 0x51; // 'Q'
export const MSG_SYNC = 0x53; // 'S'
export const MSG_TERMINATE = 0x58; // 'X'
/** Backend ReadyForQuery. */
export const MSG_READY_FOR_QUERY = 0x5a; // 'Z'

/** Largest message we accept; Postgres itself caps most messages at 1 GB. */
const MAX_MESSAGE_BYTES = 1024 ** 3;

export type TFrontendMessage =
  /** A typed message (Parse, Bind, Query, Sync, ...), complete with type byte and length. */
  | { kind: "typed"; type: number; bytes: Uint8Array }
  /** The StartupMessage (protocol 3.0), complete. */
  | { kind: "startup"; bytes: Uint8Array }
  /** SSLRequest or GSSENCRequest: answered with 'N' (not supported), never forwarded. */
  | { kind: "encryption-request" }
  /** CancelRequest: PGlite has no backend process to signal, so it is dropped. */
  | { kind: "cancel-request" };

/**
 * Splits complete messages off the front of `buffer`. Returns them and the unconsumed rest.
 * `startupDone` says whether the connection is past its startup phase (messages then carry a type byte).
 * Throws on a malformed length, which only a broken or hostile client sends.
 */
export function splitFrontendMessages(
  buffer: Buffer,
  startupDone: boolean,
): { messages: TFrontendMessage[]; rest: Buffer; startupDone: boolean } {
  const messages: TFrontendMessage[] = [];
  let offset = 0;
  let inStartup = !startupDone;
  while (true) {
    const available = buffer.length - offset;
    if (inStartup) {
      if (available < 8) break;
      const length = buffer.readInt32BE(offset);
      const code = buffer.readInt32BE(offset + 4);
      if (length < 8 || length > 10_000) throw new Error(`invalid startup packet length ${length}`);
      if (available < length) break;
      const bytes = buffer.subarray(offset, offset + length);
      offset += length;
      if (code === SSL_REQUEST_CODE || code === GSSENC_REQUEST_CODE) {
        messages.push({ kind: "encryption-request" });
      } else if (code === CANCEL_REQUEST_CODE) {
        messages.push({ kind: "cancel-request" });
      } else if (code === PROTOCOL_V3) {
        messages.push({ kind: "startup", bytes: new Uint8Array(bytes) });
        inStartup = false;
      } else {
        throw new Error(`unsupported protocol version ${code >> 16}.${code & 0xffff}`);
      }
      continue;
    }
    if (available < 5) break;
    const length = buffer.readInt32BE(offset + 1);
    if (length < 4 || length > MAX_MESSAGE_BYTES) throw new Error(`invalid message length ${length}`);
    if (available < 1 + length) break;
    messages.push({ kind: "typed", type: buffer[offset], bytes: new Uint8Array(buffer.subarray(offset, offset + 1 + length)) });
    offset += 1 + length;
  }
  return { messages, rest: offset === 0 ? buffer : Buffer.from(buffer.subarray(offset)), startupDone: !inStartup };
}

/**
 * Transaction status of the ReadyForQuery message that ends `tail` (the last bytes a backend sent), or
 * undefined when the output does not end with ReadyForQuery (the request cycle is not finished: an extended
 * query before its Sync, or COPY in progress). 'I' idle, 'T' in a transaction block, 'E' in a failed block.
 */
export function readTrailingReadyStatus(tail: Uint8Array): "I" | "T" | "E" | undefined {
  if (tail.length < 6) return undefined;
  const at = tail.length - 6;
  if (tail[at] !== MSG_READY_FOR_QUERY) return undefined;
  if (tail[at + 1] !== 0 || tail[at + 2] !== 0 || tail[at + 3] !== 0 || tail[at + 4] !== 5) return undefined;
  const status = String.fromCharCode(tail[at + 5]);
  return status === "I" || status === "T" || status === "E" ? status : undefined;
}

/** A backend ErrorResponse (severity FATAL) for errors we raise before a message reaches PGlite. */
export function buildErrorResponse(sqlState: string, message: string): Buffer {
  const fields = Buffer.concat([
    Buffer.from("SFATAL\0"),
    Buffer.from("VFATAL\0"),
    Buffer.from(`C${sqlState}\0`),
    Buffer.from(`M${message}\0`),
    Buffer.from([0]),
  ]);
  const header = Buffer.alloc(5);
  header[0] = 0x45; // 'E'
  header.writeInt32BE(4 + fields.length, 1);
  return Buffer.concat([header, fields]);
}

/** The frontend Sync message. */
export const SYNC_MESSAGE = new Uint8Array([MSG_SYNC, 0, 0, 0, 4]);

/** A frontend simple Query message for `sql`. */
export function buildQueryMessage(sql: string): Uint8Array {
  const body = Buffer.from(`${sql}\0`);
  const out = Buffer.alloc(5 + body.length);
  out[0] = MSG_QUERY;
  out.writeInt32BE(4 + body.length, 1);
  body.copy(out, 5);
  return new Uint8Array(out);
}
