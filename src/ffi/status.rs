//! Status codes and the per-thread message of the last failure.

use std::cell::RefCell;
use std::ffi::{c_char, c_int, CString};

use crate::error::{Error, ErrorKind};

/// The outcome of every fallible call. On anything but `MEDIAEDGE_OK`,
/// `mediaedge_last_error_message()` says what went wrong.
#[repr(C)]
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum mediaedge_status {
    MEDIAEDGE_OK = 0,
    /// A pointer was NULL, a string was not UTF-8, or a value was out of range.
    MEDIAEDGE_ERR_INVALID_ARGUMENT = 1,
    /// The configuration JSON was rejected; the message lists every problem, each as
    /// `path: reason`, separated by "; ".
    MEDIAEDGE_ERR_INVALID_CONFIG = 2,
    /// The xdm JSON was rejected before anything was queued; the message names the field.
    MEDIAEDGE_ERR_INVALID_EVENT = 3,
    /// The session has ended and takes no more events.
    MEDIAEDGE_ERR_SESSION_ENDED = 4,
    /// The backend refused or lost the session; it takes no more events.
    MEDIAEDGE_ERR_SESSION_FAILED = 5,
    /// The session ID is not known yet.
    MEDIAEDGE_ERR_NOT_READY = 6,
    /// Another live session already uses this player id.
    MEDIAEDGE_ERR_PLAYER_ID_IN_USE = 7,
    /// No live automatic session has this player id.
    MEDIAEDGE_ERR_UNKNOWN_PLAYER = 8,
    /// A wait ran out.
    MEDIAEDGE_ERR_TIMEOUT = 9,
    /// The caller's buffer is too small; the needed size was written to `needed`.
    MEDIAEDGE_ERR_BUFFER_TOO_SMALL = 10,
    /// The call is not allowed in this state (see the message).
    MEDIAEDGE_ERR_WRONG_STATE = 11,
    /// The client was shut down.
    MEDIAEDGE_ERR_CLIENT_CLOSED = 12,
    /// A bug in mediaedge (a caught panic). Please report it with the message.
    MEDIAEDGE_ERR_INTERNAL = 13,
    /// The client's queue limits (`native.maxQueuedEvents`, `native.maxQueuedBytes`) are reached;
    /// nothing was queued. Lifecycle events get this only once the reserve above the limits is
    /// used up too.
    MEDIAEDGE_ERR_QUEUE_FULL = 14,
    /// Consent is "out": no session starts and no event is queued until it is "in" again.
    MEDIAEDGE_ERR_CONSENT_OUT = 15,
    /// A tracker call the tracker's rules do not allow now (play before session start, ad start
    /// outside an ad break, …); the message says what to call first. Nothing was sent.
    MEDIAEDGE_ERR_RULE_VIOLATION = 16,
}

use mediaedge_status::*;

impl From<ErrorKind> for mediaedge_status {
    fn from(kind: ErrorKind) -> Self {
        match kind {
            ErrorKind::InvalidArgument => MEDIAEDGE_ERR_INVALID_ARGUMENT,
            ErrorKind::InvalidConfig => MEDIAEDGE_ERR_INVALID_CONFIG,
            ErrorKind::InvalidEvent => MEDIAEDGE_ERR_INVALID_EVENT,
            ErrorKind::SessionEnded => MEDIAEDGE_ERR_SESSION_ENDED,
            ErrorKind::SessionFailed => MEDIAEDGE_ERR_SESSION_FAILED,
            ErrorKind::NotReady => MEDIAEDGE_ERR_NOT_READY,
            ErrorKind::PlayerIdInUse => MEDIAEDGE_ERR_PLAYER_ID_IN_USE,
            ErrorKind::UnknownPlayer => MEDIAEDGE_ERR_UNKNOWN_PLAYER,
            ErrorKind::Timeout => MEDIAEDGE_ERR_TIMEOUT,
            ErrorKind::BufferTooSmall => MEDIAEDGE_ERR_BUFFER_TOO_SMALL,
            ErrorKind::WrongState => MEDIAEDGE_ERR_WRONG_STATE,
            ErrorKind::ClientClosed => MEDIAEDGE_ERR_CLIENT_CLOSED,
            ErrorKind::Internal => MEDIAEDGE_ERR_INTERNAL,
            ErrorKind::QueueFull => MEDIAEDGE_ERR_QUEUE_FULL,
            ErrorKind::ConsentOut => MEDIAEDGE_ERR_CONSENT_OUT,
            ErrorKind::RuleViolation => MEDIAEDGE_ERR_RULE_VIOLATION,
        }
    }
}

thread_local! {
    static LAST_ERROR: RefCell<CString> = RefCell::new(CString::default());
}

pub(crate) fn set_last_error(message: &str) {
    let text = CString::new(message.replace('\0', " ")).unwrap_or_default();
    LAST_ERROR.with(|slot| *slot.borrow_mut() = text);
}

pub(crate) fn status_of(outcome: std::thread::Result<Result<(), Error>>) -> mediaedge_status {
    match outcome {
        Ok(Ok(())) => MEDIAEDGE_OK,
        Ok(Err(error)) => {
            set_last_error(&error.message);
            error.kind.into()
        }
        Err(panic) => {
            let what = panic
                .downcast_ref::<&str>()
                .map(|s| s.to_string())
                .or_else(|| panic.downcast_ref::<String>().cloned())
                .unwrap_or_else(|| "unknown panic".into());
            set_last_error(&format!("internal error (panic caught at the C boundary): {what}"));
            MEDIAEDGE_ERR_INTERNAL
        }
    }
}

/// The message of the last failed call on this thread, or "" if none failed yet. The string is
/// owned by the library and stays valid until the next failing call on this thread.
#[no_mangle]
pub extern "C" fn mediaedge_last_error_message() -> *const c_char {
    LAST_ERROR.with(|slot| slot.borrow().as_ptr())
}

/// The name of a status code ("MEDIAEDGE_ERR_TIMEOUT"), or "MEDIAEDGE_UNKNOWN_STATUS". The
/// string is static.
#[no_mangle]
pub extern "C" fn mediaedge_status_str(status: c_int) -> *const c_char {
    let name: &'static [u8] = match status {
        0 => b"MEDIAEDGE_OK\0",
        1 => b"MEDIAEDGE_ERR_INVALID_ARGUMENT\0",
        2 => b"MEDIAEDGE_ERR_INVALID_CONFIG\0",
        3 => b"MEDIAEDGE_ERR_INVALID_EVENT\0",
        4 => b"MEDIAEDGE_ERR_SESSION_ENDED\0",
        5 => b"MEDIAEDGE_ERR_SESSION_FAILED\0",
        6 => b"MEDIAEDGE_ERR_NOT_READY\0",
        7 => b"MEDIAEDGE_ERR_PLAYER_ID_IN_USE\0",
        8 => b"MEDIAEDGE_ERR_UNKNOWN_PLAYER\0",
        9 => b"MEDIAEDGE_ERR_TIMEOUT\0",
        10 => b"MEDIAEDGE_ERR_BUFFER_TOO_SMALL\0",
        11 => b"MEDIAEDGE_ERR_WRONG_STATE\0",
        12 => b"MEDIAEDGE_ERR_CLIENT_CLOSED\0",
        13 => b"MEDIAEDGE_ERR_INTERNAL\0",
        14 => b"MEDIAEDGE_ERR_QUEUE_FULL\0",
        15 => b"MEDIAEDGE_ERR_CONSENT_OUT\0",
        16 => b"MEDIAEDGE_ERR_RULE_VIOLATION\0",
        _ => b"MEDIAEDGE_UNKNOWN_STATUS\0",
    };
    name.as_ptr().cast()
}
