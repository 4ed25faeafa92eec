//! `clerk-rl top`: every process spending the key through the shared store (`--budget-store`),
//! like htop for one key: its command, host and pid, requests in the last window, waits, 429s,
//! in flight, and the key's total against the budget.
//!
//! Each process writes its record into one Redis hash per key (the budget's hash tag, so one node
//! of a cluster holds it) every second ([`crate::pacing::shared`]); `top` reads that hash, drops
//! and prunes the records older than a few seconds (a killed process disappears) and shows the
//! rest: redrawn in place on a terminal, printed once with `--once`, `--json` or when stdout is
//! not a terminal. It needs the key only to find the hash (its fingerprint); it never prints the
//! key and sends nothing to Clerk.
//!
//! Without a store there is nothing to read: the state file that shares a budget between one
//! machine's processes holds slots, not processes (keeping records there would add a locked
//! write per process per second to the file every request locks), so `top` asks for a store.

pub mod view;

use std::io::{IsTerminal, Write};
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use crate::cli::TopArgs;
use crate::error::{Exit, fail};
use crate::pacing::shared::{ProcessInfo, processes_key};
use crate::redis_store::{Redis, RedisDown};
use crate::settings::{Settings, context};
use crate::signals::CommandSignals;
use crate::ui::{self, Ui};

fn now_ms() -> u64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map_or(0, |d| d.as_millis() as u64)
}

/// The records in the hash; stale and unreadable ones are pruned (best effort: another reader
/// or the processes' own pruning may get there first).
async fn read(redis: &Redis, key: &str, now: u64) -> Result<Vec<ProcessInfo>, RedisDown> {
    let mut out = Vec::new();
    for (field, value) in redis.hgetall(key).await? {
        match serde_json::from_slice::<ProcessInfo>(&value) {
            Ok(p) if !view::is_stale(&p, now) => out.push(p),
            _ => {
                let _ = redis.hdel(key, &field).await;
            }
        }
    }
    Ok(out)
}

pub async fn run(settings: &Settings, args: &TopArgs) -> anyhow::Result<Exit> {
    let global = &settings.global;
    let ui = Ui::new(global.verbose, true).quiet(global.quiet);
    let target = settings.store.clone().ok_or_else(|| {
        fail(
            Exit::Usage,
            "top lists the processes sharing the key through a store: pass --budget-store redis://HOST:PORT/DB (or set CLERK_RL_BUDGET_STORE), the one the processes use",
        )
    })?;
    if args.interval < Duration::from_millis(100) {
        return Err(fail(Exit::Usage, "--interval must be at least 100ms"));
    }
    let key = context::resolve_key(settings, &ui)?;
    let hash = processes_key(&key.fingerprint());
    let flags = settings.budget;
    let redis = target
        .connect()
        .await
        .map_err(|e| fail(Exit::Other, e.to_string()))?;
    let stdout = std::io::stdout();
    let live = !(args.once || global.json) && stdout.is_terminal();
    if !live {
        let now = now_ms();
        let records = read(&redis, &hash, now)
            .await
            .map_err(|e| fail(Exit::Other, e.to_string()))?;
        let v = view::build(&records, now, &flags, target.shown());
        let mut out = stdout.lock();
        if global.json {
            writeln!(out, "{}", serde_json::to_string(&v)?)?;
        } else {
            write!(out, "{}", view::render(&v, ui::columns(ui::Stream::Stdout)))?;
        }
        out.flush()?;
        return Ok(Exit::Ok);
    }

    // Live: the alternate screen, redrawn in place from its top-left corner every interval;
    // the terminal is given back as it was on Ctrl-C, SIGTERM or SIGHUP.
    let mut signals = CommandSignals::install()?;
    let mut screen = Screen::enter();
    let mut tick = tokio::time::interval(args.interval);
    tick.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
    loop {
        tokio::select! {
            _ = tick.tick() => {}
            stop = signals.recv() => {
                drop(screen);
                return Ok(stop.exit());
            }
        }
        let now = now_ms();
        let width = ui::columns(ui::Stream::Stdout);
        let text = match read(&redis, &hash, now).await {
            Ok(records) => view::render(&view::build(&records, now, &flags, target.shown()), width),
            Err(e) => format!(
                "clerk-rl top: {e}; trying again every {}\n",
                humantime::format_duration(args.interval)
            ),
        };
        screen.draw(&text)?;
    }
}

/// The terminal while `top` draws on it: the alternate screen with the cursor hidden, restored
/// when dropped.
struct Screen {
    out: std::io::Stdout,
}

impl Screen {
    fn enter() -> Self {
        let mut out = std::io::stdout();
        let _ = out.write_all(b"\x1b[?1049h\x1b[?25l");
        let _ = out.flush();
        Screen { out }
    }

    /// Overwrite the screen from its top-left corner: each line cleared to its end, and what is
    /// below the last line cleared, so nothing of the previous frame stays and nothing scrolls.
    fn draw(&mut self, text: &str) -> std::io::Result<()> {
        let mut frame = String::with_capacity(text.len() + 64);
        frame.push_str("\x1b[H");
        for line in text.lines() {
            frame.push_str(line);
            frame.push_str("\x1b[K\r\n");
        }
        frame.push_str("\x1b[J");
        let mut out = self.out.lock();
        out.write_all(frame.as_bytes())?;
        out.flush()
    }
}

impl Drop for Screen {
    fn drop(&mut self) {
        let _ = self.out.write_all(b"\x1b[?25h\x1b[?1049l");
        let _ = self.out.flush();
    }
}
