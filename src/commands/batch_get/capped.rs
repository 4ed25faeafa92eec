//! batch-get against a server that answers a `user_id=` list with fewer users than exist (a
//! proxy or an older API version capping results): an id left out of a list answer is reported
//! missing only once the server is shown not to hide users.
//!
//! A short answer is checked by asking one left-out id directly (`GET /v1/users/{id}`). If that
//! user exists, the server caps its lists: the rest are asked again, as many at a time as it
//! answered, and every later list is that size. Once it is shown not to cap (a few checks that
//! found nobody), short answers mean missing users and cost nothing more.

use std::collections::HashSet;
use std::sync::atomic::{AtomicU32, AtomicUsize, Ordering};

use crate::error::{Exit, fail};
use crate::http::Client;
use crate::ui::clean;

use super::{fetch_list, fetch_one};

/// Checks that found nobody after which short answers are trusted as missing users.
const CLEAN_CHECKS: u32 = 3;

#[derive(Debug, Default)]
pub struct CapGuard {
    /// The most ids a list is answered for; 0 until the server is caught capping.
    cap: AtomicUsize,
    /// Direct checks of left-out ids that found nobody (while no cap is known).
    clean: AtomicU32,
}

impl CapGuard {
    /// The users of `chunk` (indices into `uniq`), by lists, never leaving out a user that a
    /// direct GET finds.
    pub async fn fetch(
        &self,
        client: &Client,
        uniq: &[String],
        chunk: &[usize],
    ) -> anyhow::Result<Vec<(usize, Vec<u8>)>> {
        let mut out = Vec::with_capacity(chunk.len());
        let mut todo: Vec<Vec<usize>> = match self.cap.load(Ordering::Relaxed) {
            0 => vec![chunk.to_vec()],
            cap => chunk.chunks(cap).map(<[usize]>::to_vec).collect(),
        };
        while let Some(part) = todo.pop() {
            let got = fetch_list(client, uniq, &part).await?;
            let answered: HashSet<usize> = got.iter().map(|(i, _)| *i).collect();
            let asked = part.len();
            out.extend(got);
            let left_out: Vec<usize> = part.into_iter().filter(|i| !answered.contains(i)).collect();
            if left_out.is_empty() {
                continue;
            }
            let cap = self.cap.load(Ordering::Relaxed);
            if cap != 0 && asked > cap {
                // Asked before the cap was known: ask the rest again at its size.
                todo.extend(left_out.chunks(cap).map(<[usize]>::to_vec));
                continue;
            }
            if cap == 0 && self.clean.load(Ordering::Relaxed) >= CLEAN_CHECKS {
                continue;
            }
            let found = fetch_one(client, uniq, left_out[0]).await?;
            if found.is_empty() {
                if cap == 0 {
                    self.clean.fetch_add(1, Ordering::Relaxed);
                }
                continue;
            }
            out.extend(found);
            if cap != 0 {
                return Err(fail(
                    Exit::Server,
                    format!(
                        "the server leaves existing users out of user_id= lists even {asked} ids at a time (user {} exists but was not in the answer); use --strategy get",
                        clean(&uniq[left_out[0]])
                    ),
                ));
            }
            let size = answered.len().max(1);
            if self
                .cap
                .compare_exchange(0, size, Ordering::Relaxed, Ordering::Relaxed)
                .is_ok()
            {
                client.ui().warn(&format!(
                    "the server answered {size} users to a user_id= list of {asked} ids although user {} exists (a capped or truncated answer): asking {size} ids at a time from now on, so no existing user is reported missing (--strategy get avoids lists)",
                    clean(&uniq[left_out[0]])
                ));
            }
            let size = self.cap.load(Ordering::Relaxed);
            todo.extend(left_out[1..].chunks(size).map(<[usize]>::to_vec));
        }
        Ok(out)
    }
}
