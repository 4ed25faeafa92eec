// The peer in bench/world.py: the official Node SDK's own loop over every user, as a Clerk user
// writes it (getUserList with limit 500 and an offset until a short page), against the sandbox
// given by CLERK_API_URL / CLERK_SECRET_KEY. It has no pacing of its own: a 429 surfaces as an
// error, which this loop retries after the Retry-After the SDK reports (as a careful user would).
// Prints one JSON line: {"users": n, "requests": n, "rate_limited": n, "seconds": s}.
import { createRequire } from "node:module";
import path from "node:path";
import { fileURLToPath } from "node:url";

const here = path.dirname(fileURLToPath(import.meta.url));
const require = createRequire(path.join(here, "..", "tests", "node", "package.json"));
const { createClerkClient } = await import(require.resolve("@clerk/backend"));

const clerk = createClerkClient({
  secretKey: process.env.CLERK_SECRET_KEY,
  apiUrl: process.env.CLERK_API_URL,
});
const limit = Number(process.env.PAGE_SIZE || 500);
const t0 = performance.now();
let users = 0;
let requests = 0;
let rateLimited = 0;
for (let offset = 0; ; ) {
  let page;
  try {
    requests += 1;
    page = await clerk.users.getUserList({ limit, offset, orderBy: "+created_at" });
  } catch (e) {
    if (e?.status === 429) {
      rateLimited += 1;
      const wait = Number(e.retryAfter ?? 1);
      await new Promise((r) => setTimeout(r, wait * 1000));
      continue;
    }
    throw e;
  }
  users += page.data.length;
  offset += page.data.length;
  if (page.data.length < limit) break;
}
const seconds = (performance.now() - t0) / 1000;
console.log(JSON.stringify({ users, requests, rate_limited: rateLimited, seconds }));
