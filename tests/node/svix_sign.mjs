// Signs webhook deliveries with Svix's official library, for tests/webhook.rs.
// stdin: a JSON array of {secret, id, timestamp (Unix seconds), body (string)};
// stdout: a JSON array of the headers Svix would send with each, in the same order.
import { Webhook } from "svix";

let input = "";
for await (const chunk of process.stdin) input += chunk;
const out = JSON.parse(input).map(({ secret, id, timestamp, body }) => ({
  "svix-id": id,
  "svix-timestamp": String(timestamp),
  "svix-signature": new Webhook(secret).sign(id, new Date(timestamp * 1000), body),
}));
process.stdout.write(JSON.stringify(out));
