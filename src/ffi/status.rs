//! Status codes and the per-thread message of the last failure.

use std::cell::RefCell;
use std::ffi::{c_char, c_int, CString};

use crate::error::{Error, ErrorKind};

// The enum, its conversion from `ErrorKind` and the names, made by build.rs from
// src/status_table.rs.
include!(concat!(env!("OUT_DIR"), "/status.rs"));

use mediaedge_status::*;

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
    status_name(status).as_ptr().cast()
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::ffi::CStr;

    mod table {
        include!("../status_table.rs");
    }

    #[test]
    fn every_code_of_the_table_has_its_name_and_its_kind_converts_to_it() {
        let name = |code: c_int| {
            // SAFETY: `mediaedge_status_str` returns a static NUL-terminated string.
            unsafe { CStr::from_ptr(mediaedge_status_str(code)) }.to_str().unwrap_or_default().to_string()
        };
        for (code, c_name, _, _) in table::STATUSES {
            assert_eq!(name(*code), *c_name);
        }
        assert_eq!(name(table::STATUSES.len() as c_int), "MEDIAEDGE_UNKNOWN_STATUS");
        assert_eq!(mediaedge_status::from(ErrorKind::RuleViolation) as c_int, 16);
        assert_eq!(mediaedge_status::from(ErrorKind::InvalidArgument) as c_int, 1);
    }
}
