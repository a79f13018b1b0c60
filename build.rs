//! Generates the C header with cbindgen into OUT_DIR. `make header` (MEDIAEDGE_WRITE_HEADER=1)
//! also writes it to include/mediaedge.h, which is committed; a unit test fails when the
//! committed copy differs from what the code generates.

use std::env;
use std::path::PathBuf;

mod names {
    include!("src/tracker/names.rs");
}

mod status_table {
    include!("src/status_table.rs");
}

/// `text` as `///` lines indented by `indent`.
fn doc_lines(text: &str, indent: &str) -> String {
    text.lines().map(|line| format!("{indent}/// {line}\n")).collect()
}

/// The Rust made from src/status_table.rs: `ErrorKind` for the core, and the C enum with its
/// conversion and names for the FFI (the latter also read by cbindgen for the header).
fn status_sources() -> (String, String) {
    let mut kinds = String::from(
        "/// What went wrong; one kind per C status code (src/status_table.rs).\n\
         #[derive(Debug, Clone, Copy, PartialEq, Eq)]\npub enum ErrorKind {\n",
    );
    let mut c_enum = String::from(
        "/// The outcome of every fallible call. On anything but `MEDIAEDGE_OK`,\n\
         /// `mediaedge_last_error_message()` says what went wrong.\n\
         #[repr(C)]\n#[derive(Debug, Clone, Copy, PartialEq, Eq)]\npub enum mediaedge_status {\n",
    );
    let mut from = String::from(
        "impl From<ErrorKind> for mediaedge_status {\n    fn from(kind: ErrorKind) -> Self {\n        match kind {\n",
    );
    let mut names = String::from(
        "/// The name of status `code`, NUL-terminated.\nfn status_name(code: std::ffi::c_int) -> &'static [u8] {\n    match code {\n",
    );
    for (code, c_name, kind, doc) in status_table::STATUSES {
        c_enum += &doc_lines(doc, "    ");
        c_enum += &format!("    {c_name} = {code},\n");
        names += &format!("        {code} => b\"{c_name}\\0\",\n");
        if !kind.is_empty() {
            kinds += &doc_lines(doc, "    ");
            kinds += &format!("    {kind},\n");
            from += &format!("            ErrorKind::{kind} => mediaedge_status::{c_name},\n");
        }
    }
    kinds += "}\n";
    c_enum += "}\n\n";
    from += "        }\n    }\n}\n\n";
    names += "        _ => b\"MEDIAEDGE_UNKNOWN_STATUS\\0\",\n    }\n}\n";
    (kinds, c_enum + &from + &names)
}

/// The tracker's string constants as `#define`s.
fn name_macros() -> String {
    let mut out = String::from("\n/* Stream types (content types) for mediaedge_media_new. */\n");
    for (name, value) in names::STREAM_TYPES {
        out.push_str(&format!("#define MEDIAEDGE_STREAM_TYPE_{name} \"{value}\"\n"));
    }
    out.push_str("\n/* Standard player states for mediaedge_state_new. */\n");
    for (name, value) in names::PLAYER_STATES {
        out.push_str(&format!("#define MEDIAEDGE_PLAYER_STATE_{name} \"{value}\"\n"));
    }
    out.push_str("\n/* Standard media metadata keys (they fill sessionDetails fields). */\n");
    for (name, key, _) in names::MEDIA_METADATA_KEYS {
        out.push_str(&format!("#define MEDIAEDGE_METADATA_{name} \"{key}\"\n"));
    }
    out.push_str("\n/* Standard ad metadata keys (they fill advertisingDetails fields). */\n");
    for (name, key, _) in names::AD_METADATA_KEYS {
        out.push_str(&format!("#define MEDIAEDGE_AD_METADATA_{name} \"{key}\"\n"));
    }
    out
}

fn main() {
    let crate_dir = PathBuf::from(env::var("CARGO_MANIFEST_DIR").expect("cargo sets CARGO_MANIFEST_DIR"));
    let out_dir = PathBuf::from(env::var("OUT_DIR").expect("cargo sets OUT_DIR"));
    println!("cargo:rerun-if-changed=src");
    println!("cargo:rerun-if-changed=build.rs");
    println!("cargo:rerun-if-env-changed=MEDIAEDGE_WRITE_HEADER");

    let (error_kind, status) = status_sources();
    std::fs::write(out_dir.join("error_kind.rs"), error_kind).expect("OUT_DIR is writable");
    std::fs::write(out_dir.join("status.rs"), status).expect("OUT_DIR is writable");

    let version = |part: &str| env::var(format!("CARGO_PKG_VERSION_{part}")).expect("cargo sets the version");
    // The ABI policy (README): before 1.0 every minor release may break the ABI, so the SONAME
    // carries major and minor; from 1.0 on, the major alone.
    let soname = match version("MAJOR").as_str() {
        "0" => format!("libmediaedge.so.0.{}", version("MINOR")),
        major => format!("libmediaedge.so.{major}"),
    };
    if env::var("CARGO_CFG_TARGET_OS").as_deref() == Ok("linux") {
        println!("cargo:rustc-cdylib-link-arg=-Wl,-soname,{soname}");
    }
    let version_macros = format!(
        "\n#define MEDIAEDGE_VERSION_MAJOR {}\n#define MEDIAEDGE_VERSION_MINOR {}\n#define MEDIAEDGE_VERSION_PATCH {}\n\
         #define MEDIAEDGE_VERSION_STRING \"{}\"\n",
        version("MAJOR"),
        version("MINOR"),
        version("PATCH"),
        env::var("CARGO_PKG_VERSION").expect("cargo sets the version"),
    );

    let config = cbindgen::Config {
        language: cbindgen::Language::C,
        header: Some(
            "/* mediaedge: streaming-media tracking over Adobe's Media Edge API.\n * \
             Generated by cbindgen from the Rust sources (build.rs); do not edit. */"
                .into(),
        ),
        include_guard: Some("MEDIAEDGE_H".into()),
        cpp_compat: true,
        no_includes: true,
        sys_includes: vec!["stdbool.h".into(), "stddef.h".into(), "stdint.h".into()],
        after_includes: Some(version_macros + &name_macros()),
        documentation_style: cbindgen::DocumentationStyle::Doxy,
        style: cbindgen::Style::Both,
        usize_is_size_t: true,
        enumeration: cbindgen::EnumConfig { prefix_with_name: false, ..Default::default() },
        export: cbindgen::ExportConfig {
            exclude: CORE_CONSTANTS.iter().chain(RUST_ONLY_CONSTANTS).map(|name| name.to_string()).collect(),
            ..Default::default()
        },
        ..Default::default()
    };

    let header = match cbindgen::Builder::new()
        .with_crate(&crate_dir)
        .with_src(out_dir.join("status.rs"))
        .with_config(config)
        .generate()
    {
        Ok(bindings) => bindings,
        Err(e) => panic!("cbindgen could not generate the header: {e}"),
    };
    header.write_to_file(out_dir.join("mediaedge.h"));
    if env::var_os("MEDIAEDGE_WRITE_HEADER").is_some() {
        header.write_to_file(crate_dir.join("include").join("mediaedge.h"));
    }
}

/// Public constants of the Rust API that are no part of the C ABI: the journal's record flag,
/// which its fuzz target uses.
const RUST_ONLY_CONSTANTS: &[&str] = &["ENDS_SESSION"];

/// The core's public constants (`src/limits.rs`), which cbindgen would copy into the header
/// unprefixed; the header has them as `MEDIAEDGE_MAX_*` from `src/ffi/limits.rs`. A constant
/// added there and not here shows up unprefixed in the header, which `make test-header` refuses.
const CORE_CONSTANTS: &[&str] = &[
    "MAX_CONFIG_BYTES",
    "MAX_XDM_BYTES",
    "MAX_PLAYER_ID_BYTES",
    "MAX_NAME_BYTES",
    "MAX_METADATA_KEY_BYTES",
    "MAX_METADATA_VALUE_BYTES",
    "MAX_METADATA_ENTRIES",
    "MAX_METADATA_TOTAL_BYTES",
    "MAX_LOCATION_HINT_BYTES",
    "MAX_JSON_DEPTH",
];
