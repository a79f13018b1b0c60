//! Strings across the boundary: NUL-terminated UTF-8 in (copied before the call returns), and
//! out into a caller's buffer with the needed size reported.

use std::ffi::c_char;

use crate::error::{Error, ErrorKind};
use crate::limits::too_long;

/// Borrows a C string as `&str` after the NULL, length and UTF-8 checks. The length is
/// measured with `strnlen`, so a string over `max` bytes is refused after reading `max + 1` of
/// them, however long it is (or if its NUL is missing within reach).
///
/// # Safety
/// `ptr` must be NULL or point to a NUL-terminated string that stays valid for `'a`.
pub(crate) unsafe fn str_in<'a>(ptr: *const c_char, name: &str, max: usize) -> Result<&'a str, Error> {
    if ptr.is_null() {
        return Err(Error::new(ErrorKind::InvalidArgument, format!("{name}: must not be NULL")));
    }
    // SAFETY: non-NULL and NUL-terminated (caller's guarantee); strnlen reads no further than
    // the NUL or `max + 1` bytes, whichever comes first.
    let len = unsafe { libc::strnlen(ptr, max + 1) };
    if len > max {
        return Err(too_long(name, max));
    }
    // SAFETY: `len` bytes from `ptr` were just measured to be readable and free of NULs.
    let bytes = unsafe { std::slice::from_raw_parts(ptr.cast::<u8>(), len) };
    if bytes.is_ascii() {
        // Most documents are ASCII, and checking that costs a fraction of full UTF-8 decoding
        // on every send.
        // SAFETY: ASCII bytes are valid UTF-8.
        return Ok(unsafe { std::str::from_utf8_unchecked(bytes) });
    }
    std::str::from_utf8(bytes).map_err(|_| Error::new(ErrorKind::InvalidArgument, format!("{name}: not valid UTF-8")))
}

/// Copies `value` and a NUL into `buf` (of `len` bytes). `needed`, if not NULL, always receives
/// the size including the NUL; a buffer that is NULL or too small gets `BufferTooSmall`.
///
/// # Safety
/// `buf` must be NULL or valid for `len` bytes of writes; `needed` NULL or valid for a write.
pub(crate) unsafe fn str_out(value: &str, buf: *mut c_char, len: usize, needed: *mut usize) -> Result<(), Error> {
    let size = value.len() + 1;
    // SAFETY: forwarded from the caller's guarantee on `needed`.
    unsafe { super::write_out(needed, size) };
    if buf.is_null() || len < size {
        return Err(Error::new(ErrorKind::BufferTooSmall, format!("the buffer needs {size} bytes, got {len}")));
    }
    // SAFETY: `buf` is valid for `len >= size` bytes (caller's guarantee) and cannot overlap
    // `value`, which the library owns.
    unsafe {
        std::ptr::copy_nonoverlapping(value.as_ptr(), buf.cast::<u8>(), value.len());
        buf.add(value.len()).write(0);
    }
    Ok(())
}
