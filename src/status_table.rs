// The status codes, once: build.rs reads this table and generates from it the core's
// `ErrorKind` (src/error.rs), the C enum `mediaedge_status` with the conversion from
// `ErrorKind` and the names `mediaedge_status_str` returns (src/ffi/status.rs), and the header's
// enum (through cbindgen). Codes are ABI: never renumber, only append.
//
// (code, C name, Rust `ErrorKind` variant or "" for MEDIAEDGE_OK, documentation)

pub const STATUSES: &[(i32, &str, &str, &str)] = &[
    (0, "MEDIAEDGE_OK", "", ""),
    (1, "MEDIAEDGE_ERR_INVALID_ARGUMENT", "InvalidArgument", "A pointer was NULL, a string was not UTF-8, or a value was out of range."),
    (
        2,
        "MEDIAEDGE_ERR_INVALID_CONFIG",
        "InvalidConfig",
        "The configuration JSON was rejected; the message lists every problem, each as\n`path: reason`, separated by \"; \".",
    ),
    (3, "MEDIAEDGE_ERR_INVALID_EVENT", "InvalidEvent", "The xdm JSON was rejected before anything was queued; the message names the field."),
    (4, "MEDIAEDGE_ERR_SESSION_ENDED", "SessionEnded", "The session has ended and takes no more events."),
    (5, "MEDIAEDGE_ERR_SESSION_FAILED", "SessionFailed", "The backend refused or lost the session; it takes no more events."),
    (6, "MEDIAEDGE_ERR_NOT_READY", "NotReady", "The session ID is not known yet."),
    (7, "MEDIAEDGE_ERR_PLAYER_ID_IN_USE", "PlayerIdInUse", "Another live session already uses this player id."),
    (8, "MEDIAEDGE_ERR_UNKNOWN_PLAYER", "UnknownPlayer", "No live automatic session has this player id."),
    (9, "MEDIAEDGE_ERR_TIMEOUT", "Timeout", "A wait ran out."),
    (10, "MEDIAEDGE_ERR_BUFFER_TOO_SMALL", "BufferTooSmall", "The caller's buffer is too small; the needed size was written to `needed`."),
    (11, "MEDIAEDGE_ERR_WRONG_STATE", "WrongState", "The call is not allowed in this state (see the message)."),
    (12, "MEDIAEDGE_ERR_CLIENT_CLOSED", "ClientClosed", "The client was shut down."),
    (13, "MEDIAEDGE_ERR_INTERNAL", "Internal", "A bug in mediaedge (a caught panic). Please report it with the message."),
    (
        14,
        "MEDIAEDGE_ERR_QUEUE_FULL",
        "QueueFull",
        "The client's queue limits (`native.maxQueuedEvents`, `native.maxQueuedBytes`) are reached;\nnothing was queued. Lifecycle events get this only once the reserve above the limits is\nused up too.",
    ),
    (15, "MEDIAEDGE_ERR_CONSENT_OUT", "ConsentOut", "Consent is \"out\": no session starts and no event is queued until it is \"in\" again."),
    (
        16,
        "MEDIAEDGE_ERR_RULE_VIOLATION",
        "RuleViolation",
        "A tracker call the tracker's rules do not allow now (play before session start, ad start\noutside an ad break, …); the message says what to call first. Nothing was sent.",
    ),
];
