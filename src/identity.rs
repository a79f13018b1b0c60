//! Who watched: the Experience Platform `identityMap` a session starts with, a device identity
//! (a first-party ID, FPID, the caller's or generated once and kept in `native.storageDir`), and
//! the `implementationDetails` Adobe's SDKs put on every sessionStart.
//!
//! The Edge derives the visitor's ECID from a primary FPID, so a player with no other identity
//! still counts one visitor per device rather than one per session.

use std::io::Write;
use std::path::{Path, PathBuf};

use parking_lot::Mutex;
use serde_json::{Map, Value};

use crate::error::describe;

/// Namespaces in one identity map.
pub(crate) const MAX_NAMESPACES: usize = 20;
/// Identities in one namespace.
pub(crate) const MAX_IDENTITIES_PER_NAMESPACE: usize = 20;
/// A namespace code's length.
pub(crate) const MAX_NAMESPACE_BYTES: usize = 128;
/// An identity's `id` length.
pub(crate) const MAX_ID_BYTES: usize = 1024;

/// `implementationDetails.name` on sessionStart: this library, as a URI.
pub(crate) const IMPLEMENTATION_NAME: &str = "urn:mediaedge:native";

const STATES: [&str; 3] = ["ambiguous", "authenticated", "loggedOut"];

/// Checks an `identityMap` (at `path` in the caller's document) by the Experience Platform's
/// rules: namespaces map to non-empty lists of `{id, authenticatedState, primary}`, every `id` a
/// non-empty string (an ECID 38 digits), at most one identity primary in the whole map. The
/// error names the path of the first problem.
pub fn check_map(path: &str, value: &Value) -> Result<Map<String, Value>, String> {
    let Value::Object(map) = value else {
        return Err(format!("{path}: expected an object of namespaces, got {}", describe(value)));
    };
    if map.len() > MAX_NAMESPACES {
        return Err(format!("{path}: at most {MAX_NAMESPACES} namespaces, got {}", map.len()));
    }
    let mut primaries = Vec::new();
    for (namespace, identities) in map {
        let here = format!("{path}.{namespace}");
        let code_ok = !namespace.is_empty()
            && namespace.len() <= MAX_NAMESPACE_BYTES
            && namespace.bytes().all(|b| b.is_ascii_alphanumeric() || b"_-.".contains(&b));
        if !code_ok {
            return Err(format!(
                "{here}: a namespace code is 1 to {MAX_NAMESPACE_BYTES} letters, digits, '_', '-' or '.'"
            ));
        }
        let Value::Array(identities) = identities else {
            return Err(format!("{here}: expected a list of identities, got {}", describe(identities)));
        };
        if identities.is_empty() || identities.len() > MAX_IDENTITIES_PER_NAMESPACE {
            return Err(format!(
                "{here}: expected 1 to {MAX_IDENTITIES_PER_NAMESPACE} identities, got {}",
                identities.len()
            ));
        }
        for (index, identity) in identities.iter().enumerate() {
            let here = format!("{here}[{index}]");
            let Value::Object(fields) = identity else {
                return Err(format!("{here}: expected an identity object, got {}", describe(identity)));
            };
            if let Some(unknown) =
                fields.keys().find(|k| !["id", "authenticatedState", "primary"].contains(&k.as_str()))
            {
                return Err(format!("{here}.{unknown}: unknown key (id, authenticatedState, primary)"));
            }
            match fields.get("id") {
                Some(Value::String(id)) if !id.is_empty() && id.len() <= MAX_ID_BYTES => {
                    if namespace == "ECID" && !(id.len() == 38 && id.bytes().all(|b| b.is_ascii_digit())) {
                        return Err(format!("{here}.id: an ECID is 38 digits"));
                    }
                }
                Some(other) => {
                    return Err(format!(
                        "{here}.id: expected a non-empty string of at most {MAX_ID_BYTES} bytes, got {}",
                        describe(other)
                    ))
                }
                None => return Err(format!("{here}.id: required")),
            }
            match fields.get("authenticatedState") {
                None => {}
                Some(Value::String(state)) if STATES.contains(&state.as_str()) => {}
                Some(other) => {
                    return Err(format!(
                        "{here}.authenticatedState: expected ambiguous, authenticated or loggedOut, got {}",
                        describe(other)
                    ))
                }
            }
            match fields.get("primary") {
                None | Some(Value::Bool(false)) => {}
                Some(Value::Bool(true)) => primaries.push(format!("{namespace}[{index}]")),
                Some(other) => return Err(format!("{here}.primary: expected true or false, got {}", describe(other))),
            }
        }
    }
    if primaries.len() > 1 {
        return Err(format!("{path}: at most one identity may be primary, got {}", primaries.join(", ")));
    }
    Ok(map.clone())
}

/// `native.deviceId`: what the device is known as.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub enum DeviceId {
    /// Nothing sent.
    #[default]
    None,
    /// The caller's first-party ID.
    Given(String),
    /// A UUID made once and kept in this directory (`native.storageDir`).
    Generated(PathBuf),
}

/// The name of the generated FPID's file in the storage directory.
pub(crate) const DEVICE_ID_FILE: &str = "device-id";

impl DeviceId {
    /// Reads `native.deviceId` (`"none"`, `"generated"`, or the caller's FPID) with the storage
    /// directory `"generated"` needs.
    pub fn parse(text: &str, storage_dir: Option<&Path>) -> Result<DeviceId, String> {
        match text {
            "none" => Ok(DeviceId::None),
            "generated" => match storage_dir {
                Some(dir) => Ok(DeviceId::Generated(dir.to_path_buf())),
                None => Err("\"generated\" needs native.storageDir, where the ID is kept".to_string()),
            },
            id if id.trim().is_empty() || id.len() > MAX_ID_BYTES || id.chars().any(char::is_control) => Err(format!(
                "expected \"none\", \"generated\" or an FPID of 1 to {MAX_ID_BYTES} bytes without control characters"
            )),
            id => Ok(DeviceId::Given(id.to_string())),
        }
    }
}

/// The device's FPID, made or read when the first session needs it (so a client whose consent
/// is "out" never makes one: no session starts then).
#[derive(Debug, Default)]
pub struct Device {
    choice: DeviceId,
    known: Mutex<Option<String>>,
}

impl Device {
    pub fn new(choice: DeviceId) -> Device {
        Device { choice, known: Mutex::new(None) }
    }

    /// The FPID, if the configuration asks for one. A generated one is read from the storage
    /// directory, or made and written there (atomically: a temporary file renamed).
    pub fn fpid(&self) -> Result<Option<String>, String> {
        match &self.choice {
            DeviceId::None => Ok(None),
            DeviceId::Given(id) => Ok(Some(id.clone())),
            DeviceId::Generated(dir) => {
                let mut known = self.known.lock();
                if known.is_none() {
                    *known = Some(load_or_make(dir, crate::ids::new_uuid)?);
                }
                Ok(known.clone())
            }
        }
    }
}

fn is_uuid(text: &str) -> bool {
    text.len() == 36
        && text.char_indices().all(|(i, c)| if [8, 13, 18, 23].contains(&i) { c == '-' } else { c.is_ascii_hexdigit() })
}

/// The FPID kept in `dir`, or a new one written there.
fn load_or_make(dir: &Path, new_id: impl FnOnce() -> String) -> Result<String, String> {
    let path = dir.join(DEVICE_ID_FILE);
    if let Ok(text) = std::fs::read_to_string(&path) {
        let text = text.trim();
        if is_uuid(text) {
            return Ok(text.to_string());
        }
    }
    std::fs::create_dir_all(dir).map_err(|e| format!("cannot create {}: {e}", dir.display()))?;
    let id = new_id();
    let temporary = dir.join(format!("{DEVICE_ID_FILE}.{}.tmp", std::process::id()));
    let written = std::fs::File::create(&temporary).and_then(|mut file| {
        file.write_all(id.as_bytes())?;
        file.sync_all()
    });
    written
        .and_then(|_| std::fs::rename(&temporary, &path))
        .map_err(|e| format!("cannot write {}: {e}", path.display()))?;
    Ok(id)
}

/// Puts the identity on a sessionStart document: the session's own `identityMap` if it has one,
/// else the client's, with the device's FPID added (primary unless another identity is, and not
/// at all if the map has an FPID of its own); and `implementationDetails`, unless the document
/// has them.
pub fn stamp_start(xdm: &mut Map<String, Value>, client_map: Option<&Map<String, Value>>, fpid: Option<&str>) {
    let mut map = match xdm.remove("identityMap") {
        Some(Value::Object(own)) => own,
        _ => client_map.cloned().unwrap_or_default(),
    };
    if let Some(fpid) = fpid {
        if !map.contains_key("FPID") {
            let primary_taken = map
                .values()
                .filter_map(Value::as_array)
                .flatten()
                .any(|identity| identity.get("primary") == Some(&Value::Bool(true)));
            let mut identity = Map::new();
            identity.insert("id".into(), Value::String(fpid.to_string()));
            identity.insert("authenticatedState".into(), Value::String("ambiguous".into()));
            identity.insert("primary".into(), Value::Bool(!primary_taken));
            map.insert("FPID".into(), Value::Array(vec![Value::Object(identity)]));
        }
    }
    if !map.is_empty() {
        xdm.insert("identityMap".into(), Value::Object(map));
    }
    xdm.entry("implementationDetails").or_insert_with(|| {
        let mut details = Map::new();
        details.insert("name".into(), Value::String(IMPLEMENTATION_NAME.into()));
        details.insert("version".into(), Value::String(env!("CARGO_PKG_VERSION").into()));
        details.insert("environment".into(), Value::String("app".into()));
        Value::Object(details)
    });
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn identity_maps_follow_the_platforms_rules_with_path_named_errors() {
        let good = json!({"Email": [{"id": "a@b.c", "authenticatedState": "authenticated", "primary": true}],
                          "ECID": [{"id": "12345678901234567890123456789012345678"}]});
        assert!(check_map("identityMap", &good).is_ok());
        let cases = [
            (json!([1]), "identityMap: expected an object of namespaces"),
            (json!({"": [{"id": "x"}]}), "identityMap.: a namespace code is"),
            (json!({"Email": []}), "identityMap.Email: expected 1 to 20 identities, got 0"),
            (json!({"Email": {"id": "x"}}), "identityMap.Email: expected a list of identities"),
            (json!({"Email": [{"id": ""}]}), "identityMap.Email[0].id: expected a non-empty string"),
            (json!({"Email": [{"primary": true}]}), "identityMap.Email[0].id: required"),
            (
                json!({"Email": [{"id": "x", "authenticatedState": "yes"}]}),
                "identityMap.Email[0].authenticatedState: expected ambiguous",
            ),
            (json!({"Email": [{"id": "x", "primary": "yes"}]}), "identityMap.Email[0].primary: expected true or false"),
            (json!({"Email": [{"id": "x", "colour": 1}]}), "identityMap.Email[0].colour: unknown key"),
            (json!({"ECID": [{"id": "123"}]}), "identityMap.ECID[0].id: an ECID is 38 digits"),
            (
                json!({"Email": [{"id": "x", "primary": true}], "Phone": [{"id": "y", "primary": true}]}),
                "identityMap: at most one identity may be primary, got Email[0], Phone[0]",
            ),
        ];
        for (value, expected) in cases {
            let error = check_map("identityMap", &value).unwrap_err();
            assert!(error.starts_with(expected), "{value}: {error}");
        }
        let many: Map<String, Value> = (0..21).map(|i| (format!("N{i}"), json!([{"id": "x"}]))).collect();
        assert!(check_map("identityMap", &Value::Object(many)).unwrap_err().contains("at most 20 namespaces"));
    }

    #[test]
    fn the_device_id_option_reads_none_generated_or_an_fpid() {
        assert_eq!(DeviceId::parse("none", None), Ok(DeviceId::None));
        assert_eq!(DeviceId::parse("my-fpid", None), Ok(DeviceId::Given("my-fpid".into())));
        assert!(DeviceId::parse("generated", None).unwrap_err().contains("needs native.storageDir"));
        assert!(DeviceId::parse(" ", None).is_err());
        assert!(DeviceId::parse("a\nb", None).is_err());
    }

    #[test]
    fn a_generated_fpid_is_made_once_and_kept() {
        let dir = std::env::temp_dir().join(format!("mediaedge-identity-{}", std::process::id()));
        let _ = std::fs::remove_dir_all(&dir);
        let first = Device::new(DeviceId::Generated(dir.clone())).fpid().unwrap().unwrap();
        assert!(is_uuid(&first), "{first}");
        let again = Device::new(DeviceId::Generated(dir.clone())).fpid().unwrap().unwrap();
        assert_eq!(first, again, "read back by a new client");
        // A damaged file is replaced by a new ID.
        std::fs::write(dir.join(DEVICE_ID_FILE), "garbage").unwrap();
        let replaced = Device::new(DeviceId::Generated(dir.clone())).fpid().unwrap().unwrap();
        assert!(is_uuid(&replaced) && replaced != first);
        let _ = std::fs::remove_dir_all(&dir);
    }

    #[test]
    fn the_fpid_is_primary_unless_another_identity_is() {
        let mut xdm = Map::new();
        stamp_start(&mut xdm, None, Some("device-1"));
        assert_eq!(
            xdm["identityMap"],
            json!({"FPID": [{"id": "device-1", "authenticatedState": "ambiguous", "primary": true}]})
        );
        assert_eq!(xdm["implementationDetails"]["environment"], json!("app"));

        let client = check_map("identityMap", &json!({"Email": [{"id": "a@b.c", "primary": true}]})).unwrap();
        let mut xdm = Map::new();
        stamp_start(&mut xdm, Some(&client), Some("device-1"));
        assert_eq!(xdm["identityMap"]["FPID"][0]["primary"], json!(false));
        assert_eq!(xdm["identityMap"]["Email"][0]["id"], json!("a@b.c"));

        // The session's own map replaces the client's; its own FPID is kept.
        let mut xdm = json!({"identityMap": {"FPID": [{"id": "mine"}]}}).as_object().unwrap().clone();
        stamp_start(&mut xdm, Some(&client), Some("device-1"));
        assert_eq!(xdm["identityMap"], json!({"FPID": [{"id": "mine"}]}));

        // Nothing configured: no identityMap at all.
        let mut xdm = Map::new();
        stamp_start(&mut xdm, None, None);
        assert!(!xdm.contains_key("identityMap"));
    }
}
