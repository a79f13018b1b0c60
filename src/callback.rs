//! A slot for a caller's callback (the session-event listener, the log sink): called from any
//! thread, replaced only once no call to the old one is in progress.
//!
//! A call holds the slot's read lock (shared and recursive: calls on several threads run at
//! once, and a callback may call into the library). That lock blocks one thing: replacing or
//! removing the same callback, which waits for the calls in progress. Replacing it from inside
//! one of its own calls would wait forever, so it is refused.

use std::cell::Cell;
use std::sync::Arc;

use parking_lot::RwLock;

/// Callbacks one thread can be inside at once and still tell which: deeper nesting (a callback
/// calling into another client whose callback calls into another, …) counts as inside every slot,
/// so a replace from there is refused rather than left to wait forever.
const TRACKED: usize = 16;

thread_local! {
    // Plain `Cell`s of `Copy` values: no destructor to register per thread (LeakSanitizer reports
    // such a registration as a leak for threads still alive at exit, Swift's among them).
    /// The slots whose callback this thread is inside, innermost last, and how deep it is.
    static INSIDE: Cell<[usize; TRACKED]> = const { Cell::new([0; TRACKED]) };
    static DEPTH: Cell<usize> = const { Cell::new(0) };
}

fn inside(id: usize) -> bool {
    let depth = DEPTH.with(Cell::get);
    depth > TRACKED || INSIDE.with(Cell::get)[..depth.min(TRACKED)].contains(&id)
}

fn enter(id: usize) {
    let depth = DEPTH.with(Cell::get);
    if depth < TRACKED {
        INSIDE.with(|slots| {
            let mut ids = slots.get();
            ids[depth] = id;
            slots.set(ids);
        });
    }
    DEPTH.with(|d| d.set(depth + 1));
}

fn leave() {
    DEPTH.with(|d| d.set(d.get().saturating_sub(1)));
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
        if inside(self.id()) {
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
            enter(self.id());
            // Left even if `call` unwinds, so a caught panic leaves no stale mark.
            struct Leave;
            impl Drop for Leave {
                fn drop(&mut self) {
                    leave();
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
        assert_eq!(DEPTH.with(Cell::get), 0, "every call left its mark behind");
        let mut called = false;
        slot.call(|_| called = true);
        assert!(!called, "an empty slot calls nothing");
    }

    #[test]
    fn nesting_deeper_than_tracked_refuses_every_replace_there() {
        fn nest(slots: &[CallbackSlot<Hook>], depth: usize, seen: &mut Vec<bool>) {
            if depth == slots.len() {
                let unrelated: CallbackSlot<Hook> = CallbackSlot::new(None);
                seen.push(unrelated.replace(None).is_err());
                return;
            }
            slots[depth].call(|_| nest(slots, depth + 1, seen));
        }
        let deep: Vec<CallbackSlot<Hook>> =
            (0..TRACKED + 1).map(|_| CallbackSlot::new(Some(Arc::new(|| {}) as Arc<Hook>))).collect();
        let shallow: Vec<CallbackSlot<Hook>> =
            (0..3).map(|_| CallbackSlot::new(Some(Arc::new(|| {}) as Arc<Hook>))).collect();
        let mut seen = Vec::new();
        nest(&deep, 0, &mut seen);
        nest(&shallow, 0, &mut seen);
        assert_eq!(seen, [true, false], "refused past the tracked depth, allowed within it");
        assert_eq!(DEPTH.with(Cell::get), 0);
    }
}
