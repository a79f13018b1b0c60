//! The C ABI. The only module that touches raw pointers: every export goes through
//! `ffi_boundary!`, checks its pointers with `handle::borrow`, and reports failures as a
//! [`mediaedge_status`] plus a per-thread message.

// C names for C types: the header is what C readers see.
#![allow(non_camel_case_types)]
// The exports take raw pointers from C, where `unsafe fn` means nothing; each checks NULL and
// states what it relies on in a SAFETY comment instead.
#![allow(clippy::not_unsafe_ptr_arg_deref)]

#[macro_use]
mod boundary;
mod callbacks;
mod client;
mod handle;
mod limits;
mod media_objects;
mod session;
mod stats;
mod status;
mod strings;
mod tracker;
mod version;

pub use callbacks::*;
pub use client::*;
pub use limits::*;
pub use media_objects::*;
pub use session::*;
pub use stats::*;
pub use status::*;
pub use tracker::*;
pub use version::*;

use crate::error::{Error, ErrorKind};

/// Writes `value` through an out-pointer after the NULL check.
///
/// # Safety
/// `out` must be NULL or valid for writing a `T`.
pub(crate) unsafe fn write_out<T>(out: *mut T, value: T) {
    if !out.is_null() {
        // SAFETY: non-NULL, and the caller guarantees it is valid for a write of `T`.
        unsafe { out.write(value) };
    }
}

pub(crate) fn require_out<T>(out: *mut T, name: &str) -> Result<(), Error> {
    if out.is_null() {
        Err(Error::new(ErrorKind::InvalidArgument, format!("{name}: must not be NULL")))
    } else {
        Ok(())
    }
}
