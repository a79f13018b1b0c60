// The tracker's named constants, one table each: read by the crate (`tracker::names`) and by
// build.rs, which turns them into the header's `#define`s, so C and Rust cannot drift apart.
// (C name suffix, value[, XDM field]).

/// Content types for a media's stream type.
pub const STREAM_TYPES: &[(&str, &str)] = &[
    ("VOD", "vod"),
    ("LIVE", "live"),
    ("LINEAR", "linear"),
    ("PODCAST", "podcast"),
    ("AUDIOBOOK", "audiobook"),
    ("AOD", "aod"),
];

/// The standard player states.
pub const PLAYER_STATES: &[(&str, &str)] = &[
    ("FULLSCREEN", "fullscreen"),
    ("MUTE", "mute"),
    ("CLOSED_CAPTION", "closedCaptioning"),
    ("PICTURE_IN_PICTURE", "pictureInPicture"),
    ("IN_FOCUS", "inFocus"),
];

/// Standard video and audio metadata keys and the `sessionDetails` field each fills.
pub const MEDIA_METADATA_KEYS: &[(&str, &str, &str)] = &[
    ("SHOW", "a.media.show", "show"),
    ("SEASON", "a.media.season", "season"),
    ("EPISODE", "a.media.episode", "episode"),
    ("ASSET_ID", "a.media.asset", "assetID"),
    ("GENRE", "a.media.genre", "genre"),
    ("FIRST_AIR_DATE", "a.media.airDate", "firstAirDate"),
    ("FIRST_DIGITAL_DATE", "a.media.digitalDate", "firstDigitalDate"),
    ("RATING", "a.media.rating", "rating"),
    ("ORIGINATOR", "a.media.originator", "originator"),
    ("NETWORK", "a.media.network", "network"),
    ("SHOW_TYPE", "a.media.type", "showType"),
    ("AD_LOAD", "a.media.adLoad", "adLoad"),
    ("MVPD", "a.media.pass.mvpd", "mvpd"),
    ("AUTHORIZED", "a.media.pass.auth", "authorized"),
    ("DAY_PART", "a.media.dayPart", "dayPart"),
    ("FEED", "a.media.feed", "feed"),
    ("STREAM_FORMAT", "a.media.format", "streamFormat"),
    ("ARTIST", "a.media.artist", "artist"),
    ("ALBUM", "a.media.album", "album"),
    ("LABEL", "a.media.label", "label"),
    ("AUTHOR", "a.media.author", "author"),
    ("STATION", "a.media.station", "station"),
    ("PUBLISHER", "a.media.publisher", "publisher"),
];

/// Standard ad metadata keys and the `advertisingDetails` field each fills.
pub const AD_METADATA_KEYS: &[(&str, &str, &str)] = &[
    ("ADVERTISER", "a.media.ad.advertiser", "advertiser"),
    ("CAMPAIGN_ID", "a.media.ad.campaign", "campaignID"),
    ("CREATIVE_ID", "a.media.ad.creative", "creativeID"),
    ("PLACEMENT_ID", "a.media.ad.placement", "placementID"),
    ("SITE_ID", "a.media.ad.site", "siteID"),
    ("CREATIVE_URL", "a.media.ad.creativeURL", "creativeURL"),
];
