//! The panic boundary every export goes through: a panic becomes `MEDIAEDGE_ERR_INTERNAL`,
//! an `Err` becomes its status with the message kept for `mediaedge_last_error_message`.

/// `ffi_boundary!({ ... Ok(()) })` for functions returning `mediaedge_status`; the block
/// returns `Result<(), crate::error::Error>`.
macro_rules! ffi_boundary {
    ($body:block) => {{
        let outcome =
            std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| -> Result<(), $crate::error::Error> { $body }));
        $crate::ffi::status::status_of(outcome)
    }};
}

/// For functions with no status to return (`*_free`): a panic is swallowed at the boundary.
macro_rules! ffi_boundary_void {
    ($body:block) => {{
        let _ = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| $body));
    }};
}
