// Drives the clerk-rl sandbox with Clerk's official Node SDK (@clerk/backend): tests/sdk_compat.rs
// starts two sandboxes and runs this with
//   CLERK_API_URL, CLERK_SECRET_KEY      a sandbox with a generous limit and SANDBOX_USERS users
//   EXPECTED_NEWEST                      ids of its 5 newest users, newest first
//   LIMITED_API_URL, LIMITED_SECRET_KEY  a sandbox allowing 1 request per 10 s
// Prints one line per check and exits non-zero on the first failure.
import assert from "node:assert/strict";
import { createClerkClient } from "@clerk/backend";

const env = (name) => {
  const v = process.env[name];
  if (!v) throw new Error(`${name} is not set`);
  return v;
};

const clerk = createClerkClient({
  secretKey: env("CLERK_SECRET_KEY"),
  apiUrl: env("CLERK_API_URL"),
});
const total = Number(env("SANDBOX_USERS"));
const expectedNewest = env("EXPECTED_NEWEST").split(",");
let checks = 0;
const ok = (what) => {
  checks += 1;
  console.log(`ok ${checks} - ${what}`);
};

// getUserList: the list and the count (the SDK sends both).
const list = await clerk.users.getUserList({ limit: 5 });
assert.equal(list.totalCount, total);
assert.deepEqual(
  list.data.map((u) => u.id),
  expectedNewest,
);
for (const u of list.data) {
  assert.match(u.id, /^user_[0-9A-Za-z]{27}$/);
  assert.equal(typeof u.createdAt, "number");
  assert.ok(u.emailAddresses.length >= 1);
  assert.equal(u.primaryEmailAddress?.emailAddress, u.emailAddresses[0].emailAddress);
}
ok("getUserList returns the 5 newest users and the total count");

const oldest = await clerk.users.getUserList({ limit: 3, orderBy: "+created_at" });
assert.equal(oldest.data.length, 3);
assert.ok(oldest.data[0].createdAt <= oldest.data[1].createdAt);
assert.ok(!expectedNewest.includes(oldest.data[0].id));
ok("getUserList orderBy +created_at returns the oldest first");

const picked = [expectedNewest[1], expectedNewest[3]];
const byId = await clerk.users.getUserList({ userId: picked });
assert.deepEqual(byId.data.map((u) => u.id), picked);
assert.equal(byId.totalCount, 2);
ok("getUserList userId filter returns those users");

const someone = list.data[2];
const email = someone.emailAddresses[0].emailAddress;
const byEmail = await clerk.users.getUserList({ emailAddress: [email] });
assert.deepEqual(byEmail.data.map((u) => u.id), [someone.id]);
ok("getUserList emailAddress filter (with a + in the address) finds the user");

const count = await clerk.users.getCount();
assert.equal(count, total);
const countQuery = await clerk.users.getCount({ query: someone.id });
assert.equal(countQuery, 1);
ok("getCount counts all users and a query");

const one = await clerk.users.getUser(someone.id);
assert.equal(one.id, someone.id);
assert.equal(one.firstName, someone.firstName);
assert.equal(one.emailAddresses[0].emailAddress, email);
ok("getUser returns the user");

try {
  await clerk.users.getUser("user_2NNEqL2nrIRdJ194ndJqAHwEfxC");
  assert.fail("getUser of an unknown id succeeded");
} catch (e) {
  assert.equal(e.status, 404);
  assert.equal(e.errors[0].code, "resource_not_found");
  assert.ok(e.clerkTraceId);
}
ok("getUser of an unknown id throws a 404 resource_not_found");

// A 429: the SDK's error carries the status and retryAfter.
const limited = createClerkClient({
  secretKey: env("LIMITED_SECRET_KEY"),
  apiUrl: env("LIMITED_API_URL"),
});
await limited.users.getUser(someone.id);
try {
  await limited.users.getUser(someone.id);
  assert.fail("the second request within the limit's window succeeded");
} catch (e) {
  assert.equal(e.status, 429, String(e));
  assert.equal(typeof e.retryAfter, "number");
  assert.ok(e.retryAfter >= 1 && e.retryAfter <= 10, `retryAfter ${e.retryAfter}`);
  assert.equal(e.errors[0].code, "too_many_requests");
  assert.equal(e.errors[0].message, "Too many requests");
  assert.ok(e.clerkTraceId);
}
ok("a 429 throws with status 429 and retryAfter");

console.log(`sdk_compat: all ${checks} checks passed`);
