//! Handles: Rust values C holds as opaque pointers. The one way they are made (`hand_out`),
//! looked at (`borrow`, `borrow_mut`, `borrow_optional`) and freed (`free`); only types marked
//! [`Handle`] can be cast from a C pointer, so a pointer of one type cannot be read as another.

use super::require_out;
use crate::error::{Error, ErrorKind};

/// A type C owns through a `Box`: made by one of its `_new` functions, used by reference by
/// every call, and freed once by its `_free`.
pub(crate) trait Handle: Sized {
    /// Boxes `self` and stores the pointer in `*out`, which the caller then owns.
    /// `InvalidArgument` (and `self` dropped) if `out` is NULL.
    fn hand_out(self, out: *mut *mut Self) -> Result<(), Error> {
        require_out(out, "out")?;
        let handle = Box::into_raw(Box::new(self));
        // SAFETY: `out` is non-NULL, and the C caller guarantees it is valid for a write.
        unsafe { out.write(handle) };
        Ok(())
    }

    /// Drops a handle C gives back; NULL is ignored.
    ///
    /// # Safety
    /// `handle` must be NULL or come from [`Handle::hand_out`] and not be freed yet, and no
    /// other thread may be using it.
    unsafe fn free(handle: *mut Self) {
        if !handle.is_null() {
            // SAFETY: per the function's contract, a pointer from `Box::into_raw`, freed once.
            drop(unsafe { Box::from_raw(handle) });
        }
    }
}

fn null(name: &str) -> Error {
    Error::new(ErrorKind::InvalidArgument, format!("{name}: must not be NULL"))
}

/// The handle behind `ptr` after the NULL check (`InvalidArgument` naming `name`).
///
/// # Safety
/// `ptr` must be NULL or a live handle of type `T` made by this library and not yet freed.
pub(crate) unsafe fn borrow<'a, T: Handle>(ptr: *const T, name: &str) -> Result<&'a T, Error> {
    // SAFETY: the caller guarantees `ptr` is NULL or points to a live `T` made by this library.
    unsafe { ptr.as_ref() }.ok_or_else(|| null(name))
}

/// Like [`borrow`], for a handle the call changes.
///
/// # Safety
/// `ptr` must be NULL or a live handle of type `T` that no other thread uses during the call.
pub(crate) unsafe fn borrow_mut<'a, T: Handle>(ptr: *mut T, name: &str) -> Result<&'a mut T, Error> {
    // SAFETY: the caller guarantees `ptr` is NULL or a live, unshared `T` made by this library.
    unsafe { ptr.as_mut() }.ok_or_else(|| null(name))
}

/// Like [`borrow`] for an optional argument: NULL is `None`.
///
/// # Safety
/// `ptr` must be NULL or a live handle of type `T` made by this library and not yet freed.
pub(crate) unsafe fn borrow_optional<'a, T: Handle>(ptr: *const T) -> Option<&'a T> {
    // SAFETY: the caller guarantees `ptr` is NULL or points to a live `T` made by this library.
    unsafe { ptr.as_ref() }
}
