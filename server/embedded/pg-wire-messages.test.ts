import { describe, expect, test } from "vitest";
import { buildErrorResponse, buildQueryMessage, readTrailingReadyStatus, splitFrontendMessages, SSL_REQUEST_CODE, SYNC_MESSAGE } from "./pg-wire-messages";

function startupPacket(): Buffer {
  const body = Buffer.from("user\0postgres\0database\0postgres\0\0");
  const out = Buffer.alloc(8 + body.length);
  out.writeInt32BE(out.length, 0);
  out.writeInt32BE(196608, 4);
  body.copy(out, 8);
  return out;
}

describe("splitFrontendMessages", () => {
  test("answers SSLRequest, then splits the startup packet and typed messages, keeping a partial one", () => {
    const ssl = Buffer.alloc(8);
    ssl.writeInt32BE(8, 0);
    ssl.writeInt32BE(SSL_REQUEST_CODE, 4);
    const query = Buffer.from(buildQueryMessage("SELECT 1"));
    const partial = query.subarray(0, 7);
    const { messages, rest, startupDone } = splitFrontendMessages(Buffer.concat([ssl, startupPacket(), query, Buffer.from(SYNC_MESSAGE), partial]), false);
    expect(messages.map((m) => m.kind)).toEqual(["encryption-request", "startup", "typed", "typed"]);
    expect(messages[2]).toMatchObject({ type: 0x51 });
    expect(Buffer.from((messages[2] as { bytes: Uint8Array }).bytes).toString("latin1")).toContain("SELECT 1");
    expect(messages[3]).toMatchObject({ type: 0x53 });
    expect(startupDone).toBe(true);
    expect(rest.equals(partial)).toBe(true);
    // The rest completes with the next chunk.
    const next = splitFrontendMessages(Buffer.concat([rest, query.subarray(7)]), true);
    expect(next.messages).toHaveLength(1);
    expect(next.rest.length).toBe(0);
  });

  test("rejects a message with an impossible length instead of waiting for it forever", () => {
    expect(() => splitFrontendMessages(Buffer.from([0x51, 0, 0, 0, 1]), true)).toThrow(/invalid message length 1/);
    expect(() => splitFrontendMessages(Buffer.from([0, 0, 0, 8, 0, 2, 0, 0]), false)).toThrow(/unsupported protocol version 2\.0/);
  });
});

describe("readTrailingReadyStatus", () => {
  test("reads the transaction status of a final ReadyForQuery, and nothing else", () => {
    const ready = (s: string) => Buffer.from([0x5a, 0, 0, 0, 5, s.charCodeAt(0)]);
    const commandComplete = Buffer.from([0x43, 0, 0, 0, 11, ...Buffer.from("SELECT 1\0")]);
    expect(readTrailingReadyStatus(Buffer.concat([commandComplete, ready("I")]))).toBe("I");
    expect(readTrailingReadyStatus(ready("T"))).toBe("T");
    expect(readTrailingReadyStatus(ready("E"))).toBe("E");
    // ParseComplete only: an extended query before its Sync.
    expect(readTrailingReadyStatus(Buffer.from([0x31, 0, 0, 0, 4]))).toBeUndefined();
    expect(readTrailingReadyStatus(commandComplete)).toBeUndefined();
    expect(readTrailingReadyStatus(new Uint8Array(0))).toBeUndefined();
  });
});

test("buildErrorResponse frames a FATAL error a pg client can parse", () => {
  const msg = buildErrorResponse("53300", "sorry, too many clients already");
  expect(msg[0]).toBe(0x45);
  expect(msg.readInt32BE(1)).toBe(msg.length - 1);
  expect(msg.toString("latin1")).toContain("C53300\0Msorry, too many clients already\0");
  expect(msg[msg.length - 1]).toBe(0);
});
