//! The largest inputs the library accepts from its caller. Each is checked on the text's length
//! before anything parses it, so a hostile or corrupted string costs at most a length check.
//! The C header exports the same figures as `MEDIAEDGE_MAX_*`.

use crate::error::{Error, ErrorKind, Result};

/// A configuration document (client or tracker): room for a `native.caPem` bundle.
pub const MAX_CONFIG_BYTES: usize = 1024 * 1024;
/// One xdm document (a sessionStart or any later event), as the caller's JSON text.
pub const MAX_XDM_BYTES: usize = 64 * 1024;
/// An automatic session's player id.
pub const MAX_PLAYER_ID_BYTES: usize = 256;
/// A tracker object's id, name or stream type, a player state's name, an error id.
pub const MAX_NAME_BYTES: usize = 1024;
/// One metadata key; one metadata value.
pub const MAX_METADATA_KEY_BYTES: usize = 256;
pub const MAX_METADATA_VALUE_BYTES: usize = 1024;
/// Entries in one metadata object, and their keys and values together.
pub const MAX_METADATA_ENTRIES: usize = 100;
pub const MAX_METADATA_TOTAL_BYTES: usize = 32 * 1024;
/// A location hint (the caller's or the backend's).
pub const MAX_LOCATION_HINT_BYTES: usize = 64;
/// How deeply JSON may nest (serde_json's own recursion limit; deeper input is refused).
pub const MAX_JSON_DEPTH: usize = 128;

/// Refuses `text` longer than `max` bytes with a message naming `what` and the limit.
pub fn check_len(what: &str, len: usize, max: usize) -> Result<()> {
    if len > max {
        Err(too_long(what, max))
    } else {
        Ok(())
    }
}

pub(crate) fn too_long(what: &str, max: usize) -> Error {
    Error::new(ErrorKind::InvalidArgument, format!("{what}: longer than the limit of {max} bytes"))
}
