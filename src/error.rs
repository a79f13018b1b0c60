//! The one error type of the engine. Its kind maps one-to-one onto the C status codes.

use std::fmt;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ErrorKind {
    /// A required argument was missing or malformed (NULL pointer, bad UTF-8, empty id).
    InvalidArgument,
    /// The configuration document was rejected.
    InvalidConfig,
    /// The xdm document of an event was rejected before anything was queued.
    InvalidEvent,
    /// The session has ended (sessionEnd or sessionComplete was sent); it takes no more events.
    SessionEnded,
    /// The backend refused or lost the session; it takes no more events.
    SessionFailed,
    /// The session ID is not known yet.
    NotReady,
    /// Another live session already uses this player id.
    PlayerIdInUse,
    /// No live automatic session has this player id.
    UnknownPlayer,
    /// A wait ran out before its condition held.
    Timeout,
    /// The caller's buffer cannot hold the answer.
    BufferTooSmall,
    /// The call is not allowed here (a manual-clock call on a real-clock client, a call from
    /// the scheduler thread that would wait for that same thread).
    WrongState,
    /// The client was shut down.
    ClientClosed,
    /// A bug in the library (a caught panic).
    Internal,
    /// The client's queue limits are reached and the event is not one that may use the reserve.
    QueueFull,
    /// Consent is `out`: nothing is queued and no session starts until it is `in` again.
    ConsentOut,
    /// A tracker call that the tracker's rules do not allow in the current state; the message
    /// says what to call first.
    RuleViolation,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Error {
    pub kind: ErrorKind,
    pub message: String,
}

impl Error {
    pub fn new(kind: ErrorKind, message: impl Into<String>) -> Error {
        Error { kind, message: message.into() }
    }
}

impl fmt::Display for Error {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.message)
    }
}

impl std::error::Error for Error {}

pub type Result<T> = std::result::Result<T, Error>;

/// A JSON value as an error message quotes it ("got …"): its JSON text, cut after 60
/// characters so that a huge value does not make a huge message.
pub fn describe(v: &serde_json::Value) -> String {
    let text = v.to_string();
    if text.chars().count() > 60 {
        format!("{}…", text.chars().take(60).collect::<String>())
    } else {
        text
    }
}
