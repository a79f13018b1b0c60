//! HTTP proxies: `native.proxy` or, when the configuration says nothing, the `HTTPS_PROXY` and
//! `NO_PROXY` environment variables. HTTPS goes through a CONNECT tunnel (the TLS session is still
//! end to end with the Edge, so a proxy that inspects it needs its CA in `native.caFile`); plain
//! http, loopback only, is forwarded with the absolute URL in the request line.
//!
//! Credentials in a proxy URL (`http://user:password@host:port`) become a `Proxy-Authorization:
//! Basic` header and are never shown: not in errors, not in logs, not in `Debug`.

use std::net::IpAddr;

use base64::Engine as _;

/// What the configuration asked for.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub enum ProxyChoice {
    /// Nothing configured: `HTTPS_PROXY`/`https_proxy` and `NO_PROXY`/`no_proxy` decide.
    #[default]
    Environment,
    /// `"none"`: always direct, whatever the environment says.
    Direct,
    /// This proxy, for every request (`NO_PROXY` does not apply to an explicit proxy).
    Via(Proxy),
}

/// An HTTP proxy: where it is, and the credentials to give it, if any.
#[derive(Clone, PartialEq, Eq)]
pub struct Proxy {
    pub host: String,
    pub port: u16,
    /// The `Proxy-Authorization` header's value.
    authorization: Option<String>,
}

/// The port of a proxy URL without one (the `http` scheme's).
pub(crate) const DEFAULT_PROXY_PORT: u16 = 80;

impl std::fmt::Debug for Proxy {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "Proxy({})", self)
    }
}

/// `http://host:port`, with `***@` in place of any credentials.
impl std::fmt::Display for Proxy {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let credentials = if self.authorization.is_some() { "***@" } else { "" };
        if self.host.contains(':') {
            write!(f, "http://{credentials}[{}]:{}", self.host, self.port)
        } else {
            write!(f, "http://{credentials}{}:{}", self.host, self.port)
        }
    }
}

impl Proxy {
    /// Reads `[http://][user[:password]@]host[:port][/]`. The error never quotes the text, which
    /// may hold a password.
    pub fn parse(text: &str) -> Result<Proxy, String> {
        let text = text.trim();
        let rest = match text.split_once("://") {
            Some((scheme, rest)) if scheme.eq_ignore_ascii_case("http") => rest,
            Some((scheme, _)) if scheme.len() <= 16 && scheme.chars().all(|c| c.is_ascii_alphanumeric()) => {
                return Err(format!(
                    "a proxy URL must start with http:// (an HTTP proxy, reached in plain text; HTTPS to the \
                     Edge still goes through it end to end), not {scheme}://"
                ));
            }
            Some(_) => return Err("a proxy URL must start with http://".to_string()),
            None => text,
        };
        let rest = rest.strip_suffix('/').unwrap_or(rest);
        if rest.contains(['/', '?', '#']) {
            return Err("a proxy URL has no path, query or fragment: http://[user:password@]host:port".to_string());
        }
        let (userinfo, hostport) = match rest.rsplit_once('@') {
            Some((userinfo, hostport)) => (Some(userinfo), hostport),
            None => (None, rest),
        };
        let (host, port) = split_host_port(hostport)?;
        let authorization = match userinfo {
            Some(userinfo) => {
                let (user, password) = userinfo.split_once(':').unwrap_or((userinfo, ""));
                let user = decode(user).ok_or("the proxy user name is not valid percent-encoded UTF-8")?;
                let password = decode(password).ok_or("the proxy password is not valid percent-encoded UTF-8")?;
                let token = base64::engine::general_purpose::STANDARD.encode(format!("{user}:{password}"));
                Some(format!("Basic {token}"))
            }
            None => None,
        };
        Ok(Proxy { host, port, authorization })
    }

    /// The `Proxy-Authorization` header's value, when the URL had credentials.
    pub fn authorization(&self) -> Option<&str> {
        self.authorization.as_deref()
    }
}

fn split_host_port(hostport: &str) -> Result<(String, u16), String> {
    let (host, port) = if let Some(bracketed) = hostport.strip_prefix('[') {
        let (host, after) = bracketed.split_once(']').ok_or("an IPv6 proxy host needs its closing ]")?;
        if host.parse::<std::net::Ipv6Addr>().is_err() {
            return Err("the proxy host in [] is not an IPv6 address".to_string());
        }
        match after {
            "" => (host, None),
            _ => (host, Some(after.strip_prefix(':').ok_or("expected :port after the IPv6 proxy host")?)),
        }
    } else {
        match hostport.rsplit_once(':') {
            Some((host, port)) => (host, Some(port)),
            None => (hostport, None),
        }
    };
    let valid = |c: char| c.is_ascii_alphanumeric() || matches!(c, '.' | '-' | '_' | ':');
    if host.is_empty() || !host.chars().all(valid) {
        return Err("the proxy host is missing or not a host name or IP address".to_string());
    }
    let port = match port {
        None => DEFAULT_PROXY_PORT,
        Some(port) => match port.parse::<u16>() {
            Ok(port) if port > 0 => port,
            _ => return Err("the proxy port must be a number from 1 to 65535".to_string()),
        },
    };
    Ok((host.to_ascii_lowercase(), port))
}

fn decode(text: &str) -> Option<String> {
    percent_encoding::percent_decode_str(text).decode_utf8().ok().map(|s| s.into_owned())
}

/// The proxy requests to `edge_host` go through, if any. `env` reads an environment variable
/// (`std::env::var` in the library; tests give their own).
///
/// With `ProxyChoice::Environment`, an https Edge uses `https_proxy`, else `HTTPS_PROXY` (the
/// lower-case name first, as curl does), unless `no_proxy`/`NO_PROXY` matches the Edge's host. A
/// loopback Edge (plain http is allowed only there) is never proxied from the environment.
pub fn choose(
    choice: &ProxyChoice,
    edge_host: &str,
    https: bool,
    env: &dyn Fn(&str) -> Option<String>,
) -> Result<Option<Proxy>, String> {
    match choice {
        ProxyChoice::Direct => Ok(None),
        ProxyChoice::Via(proxy) => Ok(Some(proxy.clone())),
        ProxyChoice::Environment => {
            if !https || is_loopback(edge_host) {
                return Ok(None);
            }
            let set = |name: &str| env(name).filter(|v| !v.trim().is_empty());
            let Some((name, value)) = ["https_proxy", "HTTPS_PROXY"].iter().find_map(|n| set(n).map(|v| (*n, v)))
            else {
                return Ok(None);
            };
            if let Some(list) = set("no_proxy").or_else(|| set("NO_PROXY")) {
                if no_proxy_matches(&list, edge_host) {
                    return Ok(None);
                }
            }
            Proxy::parse(&value).map(Some).map_err(|e| format!("{name} (environment): {e}"))
        }
    }
}

/// Whether a `NO_PROXY` list (comma- or space-separated) names `host`: `*` names every host; a
/// name names itself and its subdomains (`example.com` and `.example.com` both match
/// `edge.example.com`); an IP address or CIDR block (`10.0.0.0/8`) names addresses in it. Ports
/// in entries are ignored.
pub fn no_proxy_matches(list: &str, host: &str) -> bool {
    let host = host.trim_start_matches('[').trim_end_matches(']').trim_end_matches('.').to_ascii_lowercase();
    let ip = host.parse::<IpAddr>().ok();
    list.split([',', ' ']).map(str::trim).filter(|e| !e.is_empty()).any(|entry| {
        if entry == "*" {
            return true;
        }
        if let Some(ip) = ip {
            return entry_matches_ip(entry, ip);
        }
        let name = strip_port(entry).trim_start_matches("*.").trim_start_matches('.').trim_end_matches('.');
        let name = name.to_ascii_lowercase();
        !name.is_empty() && (host == name || host.ends_with(&format!(".{name}")))
    })
}

fn strip_port(entry: &str) -> &str {
    match entry.rsplit_once(':') {
        Some((host, port)) if !host.contains(':') && port.chars().all(|c| c.is_ascii_digit()) => host,
        _ => entry,
    }
}

fn entry_matches_ip(entry: &str, ip: IpAddr) -> bool {
    let entry = entry.trim_start_matches('[');
    let (address, prefix) = match entry.split_once('/') {
        Some((address, prefix)) => (address, prefix.parse::<u32>().ok()),
        None => (entry.split(']').next().unwrap_or(entry), None),
    };
    let address = address.trim_end_matches(']');
    let address = address.parse::<IpAddr>().or_else(|_| strip_port(address).parse::<IpAddr>());
    match (address, ip) {
        (Ok(IpAddr::V4(net)), IpAddr::V4(ip)) => in_block(u32::from(net).into(), u32::from(ip).into(), prefix, 32),
        (Ok(IpAddr::V6(net)), IpAddr::V6(ip)) => in_block(u128::from(net), u128::from(ip), prefix, 128),
        _ => false,
    }
}

fn in_block(net: u128, ip: u128, prefix: Option<u32>, bits: u32) -> bool {
    let prefix = prefix.unwrap_or(bits);
    if prefix > bits {
        return false;
    }
    let shift = bits - prefix;
    shift >= bits || (net >> shift) == (ip >> shift)
}

fn is_loopback(host: &str) -> bool {
    let host = host.trim_start_matches('[').trim_end_matches(']');
    host.eq_ignore_ascii_case("localhost") || host.parse::<IpAddr>().map(|ip| ip.is_loopback()).unwrap_or(false)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn proxy_urls_are_read_and_credentials_never_shown() {
        let proxy = Proxy::parse("http://alice:s%40cret@Proxy.Example:3128/").unwrap();
        assert_eq!((proxy.host.as_str(), proxy.port), ("proxy.example", 3128));
        // base64("alice:s@cret")
        assert_eq!(proxy.authorization(), Some("Basic YWxpY2U6c0BjcmV0"));
        assert_eq!(proxy.to_string(), "http://***@proxy.example:3128");
        assert!(!format!("{proxy:?}").contains("cret"));
        let bare = Proxy::parse("10.0.0.1").unwrap();
        assert_eq!((bare.host.as_str(), bare.port, bare.authorization()), ("10.0.0.1", DEFAULT_PROXY_PORT, None));
        let v6 = Proxy::parse("http://[::1]:8888").unwrap();
        assert_eq!((v6.host.as_str(), v6.port), ("::1", 8888));
        assert_eq!(v6.to_string(), "http://[::1]:8888");
    }

    #[test]
    fn bad_proxy_urls_are_refused_without_quoting_them() {
        for text in [
            "https://u:hunter2@proxy:443",
            "socks5://u:hunter2@proxy:1080",
            "http://u:hunter2@proxy:0",
            "http://u:hunter2@proxy:99999",
            "http://u:hunter2@proxy:8080/path",
            "http://u:hunter2@",
            "http://u:hunter2@[::1",
            "http://u:hunter2@pro xy:1",
            "http://u:hunter2%ff@proxy:1",
        ] {
            let error = Proxy::parse(text).unwrap_err();
            assert!(!error.contains("hunter2"), "{text}: {error}");
        }
        assert!(Proxy::parse("socks5://p:1").unwrap_err().contains("not socks5://"));
    }

    fn env_of(pairs: &'static [(&'static str, &'static str)]) -> impl Fn(&str) -> Option<String> {
        move |name| pairs.iter().find(|(n, _)| *n == name).map(|(_, v)| v.to_string())
    }

    #[test]
    fn the_configuration_wins_over_the_environment() {
        let env = env_of(&[("HTTPS_PROXY", "http://env-proxy:1"), ("NO_PROXY", "*")]);
        let mine = Proxy::parse("http://mine:2").unwrap();
        let chosen = choose(&ProxyChoice::Via(mine.clone()), "edge.adobedc.net", true, &env).unwrap();
        assert_eq!(chosen, Some(mine), "NO_PROXY does not apply to an explicit proxy");
        assert_eq!(choose(&ProxyChoice::Direct, "edge.adobedc.net", true, &env).unwrap(), None);
    }

    #[test]
    fn the_environment_decides_when_the_configuration_is_silent() {
        let host = "edge.adobedc.net";
        let pick = |pairs: &'static [(&'static str, &'static str)], host: &str, https: bool| {
            choose(&ProxyChoice::Environment, host, https, &env_of(pairs)).map(|p| p.map(|p| p.host))
        };
        assert_eq!(pick(&[], host, true), Ok(None));
        assert_eq!(pick(&[("HTTPS_PROXY", "up:1")], host, true), Ok(Some("up".into())));
        assert_eq!(pick(&[("HTTPS_PROXY", "up:1"), ("https_proxy", "low:1")], host, true), Ok(Some("low".into())));
        assert_eq!(pick(&[("HTTPS_PROXY", "  ")], host, true), Ok(None), "empty is unset");
        assert_eq!(pick(&[("HTTPS_PROXY", "up:1"), ("NO_PROXY", "adobedc.net")], host, true), Ok(None));
        assert_eq!(pick(&[("HTTPS_PROXY", "up:1"), ("no_proxy", ".example.com")], host, true), Ok(Some("up".into())));
        assert_eq!(pick(&[("HTTPS_PROXY", "up:1")], "127.0.0.1", true), Ok(None), "loopback is never proxied");
        assert_eq!(pick(&[("HTTPS_PROXY", "up:1")], "localhost", false), Ok(None));
        let bad = pick(&[("HTTPS_PROXY", "socks5://u:pw@x:1")], host, true).unwrap_err();
        assert!(bad.starts_with("HTTPS_PROXY (environment): ") && !bad.contains("pw@"), "{bad}");
    }

    #[test]
    fn no_proxy_lists_match_names_subdomains_and_address_blocks() {
        assert!(no_proxy_matches("*", "anything"));
        assert!(no_proxy_matches("foo, adobedc.net", "edge.adobedc.net"));
        assert!(no_proxy_matches(".adobedc.net", "edge.adobedc.net"));
        assert!(no_proxy_matches("*.adobedc.net", "edge.adobedc.net"));
        assert!(no_proxy_matches("EDGE.adobedc.net:443", "edge.adobedc.net"));
        assert!(no_proxy_matches("adobedc.net", "adobedc.net."));
        assert!(!no_proxy_matches("dobedc.net", "edge.adobedc.net"), "a suffix must be a whole label");
        assert!(!no_proxy_matches("edge.adobedc.net", "adobedc.net"));
        assert!(no_proxy_matches("10.0.0.0/8", "10.2.3.4"));
        assert!(!no_proxy_matches("10.0.0.0/8", "11.2.3.4"));
        assert!(no_proxy_matches("192.168.1.7", "192.168.1.7"));
        assert!(no_proxy_matches("0.0.0.0/0", "8.8.8.8"));
        assert!(no_proxy_matches("[fd00::]/8", "[fd12::1]"));
        assert!(!no_proxy_matches("fd00::/8", "fe80::1"));
        assert!(!no_proxy_matches("10.0.0.0/99", "10.0.0.1"));
        assert!(!no_proxy_matches("", "edge.adobedc.net"));
    }
}
