import { lookup as dnsLookup, type LookupAddress, type LookupAllOptions } from "node:dns";
import { BlockList, isIP } from "node:net";

/**
 * SSRF guard for webhook deliveries. Checking the URL when it is saved is not enough (DNS can change, a name can
 * resolve to 127.0.0.1), so the address is checked again at connect time: the HTTP agent's `lookup` resolves the
 * name and refuses forbidden addresses before a socket is opened. IP literals bypass `lookup` in Node, so
 * `assertDeliverableUrl` checks those itself.
 */

/** Private, loopback, link-local (incl. cloud metadata 169.254.169.254), CGNAT, multicast, reserved, ULA... */
const FORBIDDEN = new BlockList();
for (const [net, prefix] of [
  ["0.0.0.0", 8], ["10.0.0.0", 8], ["100.64.0.0", 10], ["169.254.0.0", 16], ["172.16.0.0", 12], ["192.0.0.0", 24],
  ["192.0.2.0", 24], ["192.168.0.0", 16], ["198.18.0.0", 15], ["198.51.100.0", 24], ["203.0.113.0", 24], ["224.0.0.0", 4], ["240.0.0.0", 4],
] as const) {
  FORBIDDEN.addSubnet(net, prefix, "ipv4");
}
// ::/128 unspecified, fc00::/7 unique local (incl. AWS's fd00:ec2::254 metadata), fe80::/10 link-local, ff00::/8 multicast,
// 2001:db8::/32 documentation, 100::/64 discard.
for (const [net, prefix] of [["::", 128], ["fc00::", 7], ["fe80::", 10], ["ff00::", 8], ["2001:db8::", 32], ["100::", 64]] as const) {
  FORBIDDEN.addSubnet(net, prefix, "ipv6");
}
const LOOPBACK = new BlockList();
LOOPBACK.addSubnet("127.0.0.0", 8, "ipv4");
LOOPBACK.addAddress("::1", "ipv6");

/** An IPv4 address embedded in IPv6 (::ffff:a.b.c.d mapped, 64:ff9b::/96 NAT64), or undefined. */
function extractEmbeddedIpv4(address: string): string | undefined {
  const lower = address.toLowerCase();
  const dotted = /^(?:::ffff:|64:ff9b::)(\d+\.\d+\.\d+\.\d+)$/.exec(lower);
  if (dotted) return dotted[1];
  const hex = /^(?:::ffff:|64:ff9b::)([0-9a-f]{1,4}):([0-9a-f]{1,4})$/.exec(lower);
  if (hex) {
    const hi = parseInt(hex[1]!, 16);
    const lo = parseInt(hex[2]!, 16);
    return `${hi >> 8}.${hi & 255}.${lo >> 8}.${lo & 255}`;
  }
  return undefined;
}

/** Why an address may not receive webhooks, or undefined when it may. */
export function findForbiddenAddressReason(address: string, opts: { allowLoopback: boolean }): string | undefined {
  const family = isIP(address);
  if (family === 0) return `"${address}" is not an IP address`;
  const embedded = family === 6 ? extractEmbeddedIpv4(address) : undefined;
  if (embedded) return findForbiddenAddressReason(embedded, opts);
  const type = family === 4 ? "ipv4" : "ipv6";
  if (LOOPBACK.check(address, type)) return opts.allowLoopback ? undefined : `${address} is a loopback address`;
  if (FORBIDDEN.check(address, type)) return `${address} is a private, link-local or reserved address`;
  return undefined;
}

/** Also refuses `localhost` names when saving, for a clear message before any delivery is tried. */
export function assertSavableUrl(text: string, opts: { allowLoopback: boolean }): URL {
  const url = assertDeliverableUrl(text, opts);
  if (/^localhost\.?$|\.localhost\.?$/i.test(url.hostname) && !opts.allowLoopback) {
    throw new ForbiddenWebhookTargetError("webhook URL refused: localhost is a loopback address");
  }
  return url;
}

/** Thrown for URLs and addresses webhooks must not reach; `message` is user-readable. */
export class ForbiddenWebhookTargetError extends Error {
  constructor(message: string) {
    super(message);
    this.name = "ForbiddenWebhookTargetError";
  }
}

/**
 * Checks a webhook URL before sending: http/https only, no credentials in it, and an IP-literal host must be allowed.
 * Names are checked at connect time by `createGuardedLookup` (the only check that cannot be fooled by DNS).
 * Returns the parsed URL.
 */
export function assertDeliverableUrl(text: string, opts: { allowLoopback: boolean }): URL {
  let url: URL;
  try {
    url = new URL(text);
  } catch {
    throw new ForbiddenWebhookTargetError(`"${text}" is not a valid URL`);
  }
  if (url.protocol !== "http:" && url.protocol !== "https:") throw new ForbiddenWebhookTargetError(`webhook URLs must use http or https, not ${url.protocol.replace(/:$/, "")}`);
  if (url.username || url.password) throw new ForbiddenWebhookTargetError("webhook URLs must not contain a user name or password");
  const host = url.hostname.replace(/^\[|\]$/g, "");
  if (isIP(host)) {
    const reason = findForbiddenAddressReason(host, opts);
    if (reason) throw new ForbiddenWebhookTargetError(`webhook URL refused: ${reason}`);
  }
  return url;
}

type TLookupCallback = (err: NodeJS.ErrnoException | null, address: string | LookupAddress[], family?: number) => void;

/**
 * A `lookup` for http(s).Agent that resolves the name and refuses the connection when ANY resolved address is
 * forbidden (an attacker's DNS could mix a public and a private address and rely on the client's choice).
 */
export function createGuardedLookup(opts: { allowLoopback: boolean }) {
  return (hostname: string, options: object, callback: TLookupCallback): void => {
    dnsLookup(hostname, { ...(options as object), all: true } as LookupAllOptions, (err, addresses) => {
      if (err) return callback(err, []);
      for (const a of addresses) {
        const reason = findForbiddenAddressReason(a.address, opts);
        if (reason) {
          const refused = new ForbiddenWebhookTargetError(`webhook URL refused: ${hostname} resolves to ${reason.replace(/^\S+ is /, `${a.address}, `)}`);
          return callback(refused as NodeJS.ErrnoException, []);
        }
      }
      if ((options as { all?: boolean }).all) return callback(null, addresses);
      const first = addresses[0];
      if (!first) return callback(Object.assign(new Error(`${hostname} did not resolve`), { code: "ENOTFOUND" }), []);
      callback(null, first.address, first.family);
    });
  };
}
