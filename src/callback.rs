//! A slot for a caller's callback (the session-event listener, the log sink): called from any
//! thread, replaced only once no call to the old one is in progress.
//!
//! A call holds the slot's read lock (shared and recursive: calls on several threads run at
//! once, and a callback may call into the library). That lock blocks one thing: replacing or
//! removing the same callback, which waits for the calls in progress. Replacing it from inside
//! one of its own calls would wait forever, so it is refused.

use std::cell::RefCell;
use std::sync::Arc;

use parking_lot::RwLock;

thread_local! {
    /// The slots whose callback this thread is inside, innermost last.
    static INSIDE: RefCell<Vec<usize>> = const { RefCell::new(Vec::new()) };
}

pub struct CallbackSlot<F: ?Sized> {
    current: RwLock<Option<Arc<F>>>,
}

/// `replace` was called from inside a call to the callback it would replace.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct FromInside;

impl<F: ?Sized> CallbackSlot<F> {
    pub fn new(callback: Option<Arc<F>>) -> CallbackSlot<F> {
        CallbackSlot { current: RwLock::new(callback) }
    }

    fn id(&self) -> usize {
        self as *const Self as *const () as usize
    }

    /// Puts `callback` (or nothing) in the slot once no call to the old one is in progress. The
    /// old callback is dropped after the lock is released (its `user_data` freed with no library
    /// lock held).
    pub fn replace(&self, callback: Option<Arc<F>>) -> Result<(), FromInside> {
        if INSIDE.with(|inside| inside.borrow().contains(&self.id())) {
            return Err(FromInside);
        }
        let old = std::mem::replace(&mut *self.current.write(), callback);
        drop(old);
        Ok(())
    }

    /// Calls `call` with the callback, if one is set, holding the read lock.
    pub fn call(&self, call: impl FnOnce(&F)) {
        let current = self.current.read_recursive();
        if let Some(callback) = current.as_deref() {
            INSIDE.with(|inside| inside.borrow_mut().push(self.id()));
            // Popped even if `call` unwinds, so a caught panic leaves no stale mark.
            struct Leave;
            impl Drop for Leave {
                fn drop(&mut self) {
                    INSIDE.with(|inside| inside.borrow_mut().pop());
                }
            }
            let _leave = Leave;
            call(callback);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    type Hook = dyn Fn() + Send + Sync;

    #[test]
    fn replacing_from_inside_is_refused_and_from_another_slot_allowed() {
        let slot: CallbackSlot<Hook> = CallbackSlot::new(Some(Arc::new(|| {})));
        let other: CallbackSlot<Hook> = CallbackSlot::new(None);
        let mut results = Vec::new();
        slot.call(|f| {
            f();
            results.push(slot.replace(None));
            results.push(other.replace(None));
        });
        assert_eq!(results, [Err(FromInside), Ok(())]);
        // Outside every call, replacing works.
        assert_eq!(slot.replace(None), Ok(()));
        let mut called = false;
        slot.call(|_| called = true);
        assert!(!called, "an empty slot calls nothing");
    }
}
