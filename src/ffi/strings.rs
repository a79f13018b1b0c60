//! Strings across the boundary: NUL-terminated UTF-8 in (copied before the call returns), and
//! out into a caller's buffer with the needed size reported.

use std::ffi::{c_char, CStr};

use crate::error::{Error, ErrorKind};

/// Borrows a C string as `&str` after the NULL and UTF-8 checks.
///
/// # Safety
/// `ptr` must be NULL or point to a NUL-terminated string that stays valid for `'a`.
pub(crate) unsafe fn str_in<'a>(ptr: *const c_char, name: &str) -> Result<&'a str, Error> {
    if ptr.is_null() {
        return Err(Error::new(ErrorKind::InvalidArgument, format!("{name}: must not be NULL")));
    }
    // SAFETY: non-NULL, and the caller guarantees a NUL-terminated string alive for 'a.
    let bytes = unsafe { CStr::from_ptr(ptr) };
    bytes
        .to_str()
        .map_err(|_| Error::new(ErrorKind::InvalidArgument, format!("{name}: not valid UTF-8")))
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
