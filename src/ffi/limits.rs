//! The input limits (`crate::limits`) as header constants. Spelled as literals because cbindgen
//! copies a constant's expression; the assertions keep them equal to the core's.

use crate::limits;

/// Longest configuration document (client or tracker), bytes without the NUL.
pub const MEDIAEDGE_MAX_CONFIG_BYTES: usize = 1048576;
/// Longest xdm document (sessionStart or any later event), bytes without the NUL.
pub const MEDIAEDGE_MAX_XDM_BYTES: usize = 65536;
/// Longest player id of an automatic session.
pub const MEDIAEDGE_MAX_PLAYER_ID_BYTES: usize = 256;
/// Longest id, name or stream type of a tracker object, and longest error id.
pub const MEDIAEDGE_MAX_NAME_BYTES: usize = 1024;
/// Longest metadata key.
pub const MEDIAEDGE_MAX_METADATA_KEY_BYTES: usize = 256;
/// Longest metadata value.
pub const MEDIAEDGE_MAX_METADATA_VALUE_BYTES: usize = 1024;
/// Most entries in one metadata object.
pub const MEDIAEDGE_MAX_METADATA_ENTRIES: usize = 100;
/// Most bytes of keys and values together in one metadata object.
pub const MEDIAEDGE_MAX_METADATA_TOTAL_BYTES: usize = 32768;
/// Deepest nesting of arrays and objects in any JSON argument.
pub const MEDIAEDGE_MAX_JSON_DEPTH: usize = 128;
/// Longest location hint.
pub const MEDIAEDGE_MAX_LOCATION_HINT_BYTES: usize = 64;

const _: () = {
    assert!(MEDIAEDGE_MAX_CONFIG_BYTES == limits::MAX_CONFIG_BYTES);
    assert!(MEDIAEDGE_MAX_XDM_BYTES == limits::MAX_XDM_BYTES);
    assert!(MEDIAEDGE_MAX_PLAYER_ID_BYTES == limits::MAX_PLAYER_ID_BYTES);
    assert!(MEDIAEDGE_MAX_NAME_BYTES == limits::MAX_NAME_BYTES);
    assert!(MEDIAEDGE_MAX_METADATA_KEY_BYTES == limits::MAX_METADATA_KEY_BYTES);
    assert!(MEDIAEDGE_MAX_METADATA_VALUE_BYTES == limits::MAX_METADATA_VALUE_BYTES);
    assert!(MEDIAEDGE_MAX_METADATA_ENTRIES == limits::MAX_METADATA_ENTRIES);
    assert!(MEDIAEDGE_MAX_METADATA_TOTAL_BYTES == limits::MAX_METADATA_TOTAL_BYTES);
    assert!(MEDIAEDGE_MAX_JSON_DEPTH == limits::MAX_JSON_DEPTH);
    assert!(MEDIAEDGE_MAX_LOCATION_HINT_BYTES == limits::MAX_LOCATION_HINT_BYTES);
};
