//! Logging: silent by default, to a callback when one is set, or to stderr when the
//! `MEDIAEDGE_LOG` environment variable names a level and no callback is set.

use std::sync::atomic::{AtomicU8, Ordering};
use std::sync::Arc;

use crate::callback::CallbackSlot;

#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
#[repr(u8)]
pub enum Level {
    Error = 1,
    Warn = 2,
    Info = 3,
    Debug = 4,
}

impl Level {
    pub fn from_u8(v: u8) -> Option<Level> {
        Some(match v {
            1 => Level::Error,
            2 => Level::Warn,
            3 => Level::Info,
            4 => Level::Debug,
            _ => return None,
        })
    }

    fn parse(text: &str) -> Option<Level> {
        Some(match text.to_ascii_lowercase().as_str() {
            "error" => Level::Error,
            "warn" | "warning" => Level::Warn,
            "info" => Level::Info,
            "debug" => Level::Debug,
            _ => return None,
        })
    }

    pub fn name(self) -> &'static str {
        match self {
            Level::Error => "error",
            Level::Warn => "warn",
            Level::Info => "info",
            Level::Debug => "debug",
        }
    }
}

/// The caller's log callback.
pub type SinkFn = dyn Fn(Level, &str) + Send + Sync;
pub type LogSink = Arc<SinkFn>;

/// 0 means off.
const OFF: u8 = 0;

pub struct Logger {
    level: AtomicU8,
    sink: CallbackSlot<SinkFn>,
}

impl Logger {
    /// Off, unless `MEDIAEDGE_LOG` names a level, in which case logs go to stderr.
    pub fn from_env() -> Logger {
        let env_level = std::env::var("MEDIAEDGE_LOG").ok().and_then(|v| Level::parse(&v));
        let sink: Option<LogSink> = env_level.map(|_| {
            Arc::new(|level: Level, message: &str| eprintln!("mediaedge [{}] {message}", level.name())) as LogSink
        });
        Logger { level: AtomicU8::new(env_level.map(|l| l as u8).unwrap_or(OFF)), sink: CallbackSlot::new(sink) }
    }

    /// Replaces the sink once no call to the old one is in progress; `None` turns logging off.
    /// Returns false (and changes nothing) when called from inside the sink, where that wait
    /// would never end.
    pub fn set_sink(&self, level: Level, sink: Option<LogSink>) -> bool {
        let enabled = sink.is_some();
        if self.sink.replace(sink).is_err() {
            return false;
        }
        self.level.store(if enabled { level as u8 } else { OFF }, Ordering::Release);
        true
    }

    pub fn enabled(&self, level: Level) -> bool {
        level as u8 <= self.level.load(Ordering::Acquire)
    }

    /// Logs `message()` if `level` is on; the message is only built when it is.
    pub fn log(&self, level: Level, message: impl FnOnce() -> String) {
        if !self.enabled(level) {
            return;
        }
        // Sinks on several threads run at once and may call into the library; only replacing
        // the sink waits for them (see `CallbackSlot`).
        self.sink.call(|sink| sink(level, &message()));
    }
}
