//! The library's version, for checking the header against the library at run time.

use std::ffi::c_char;

/// The library's version, "MAJOR.MINOR.PATCH", matching the `MEDIAEDGE_VERSION_*` macros of the
/// header it was built with. The string is static.
#[no_mangle]
pub extern "C" fn mediaedge_version() -> *const c_char {
    concat!(env!("CARGO_PKG_VERSION"), "\0").as_ptr().cast()
}
