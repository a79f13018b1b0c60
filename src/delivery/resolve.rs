//! Name resolution without a thread per request: ureq's default resolver, given a timeout, asks
//! the system on a new thread for every request, even for an IP literal and on a reused
//! keep-alive connection. This one answers an IP literal at once and keeps a host name's
//! addresses for a fixed minute (the system resolver does not report TTLs), on the calling
//! delivery thread.

use std::collections::HashMap;
use std::net::{IpAddr, SocketAddr, ToSocketAddrs};
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::{Duration, Instant};

use parking_lot::Mutex;
use ureq::http::Uri;
use ureq::unversioned::resolver::{ResolvedSocketAddrs, Resolver};
use ureq::unversioned::transport::NextTimeout;

/// How long a host name's addresses are reused before the system is asked again.
pub(crate) const ADDRESS_LIFETIME: Duration = Duration::from_secs(60);

#[derive(Debug, Default)]
pub struct CachingResolver {
    /// `host:port` to its addresses and when they were looked up.
    cache: Mutex<HashMap<String, (Vec<SocketAddr>, Instant)>>,
    /// Lookups the system answered (a figure for tests and benchmarks).
    lookups: AtomicU64,
}

impl CachingResolver {
    /// How many times the system resolver was asked so far.
    pub fn lookups(&self) -> u64 {
        self.lookups.load(Ordering::Relaxed)
    }

    /// The addresses of `host:port`: an IP literal as it is, a name from the cache or the system.
    pub fn addresses(&self, host: &str, port: u16) -> std::io::Result<Vec<SocketAddr>> {
        let literal = host.trim_start_matches('[').trim_end_matches(']');
        if let Ok(ip) = literal.parse::<IpAddr>() {
            return Ok(vec![SocketAddr::new(ip, port)]);
        }
        let key = format!("{host}:{port}");
        if let Some((addresses, at)) = self.cache.lock().get(&key) {
            if at.elapsed() < ADDRESS_LIFETIME {
                return Ok(addresses.clone());
            }
        }
        // Asked without the lock held: a slow lookup delays only the requests that need it.
        let addresses: Vec<SocketAddr> = (host, port).to_socket_addrs()?.collect();
        self.lookups.fetch_add(1, Ordering::Relaxed);
        if addresses.is_empty() {
            return Err(std::io::Error::new(std::io::ErrorKind::NotFound, format!("{host} has no address")));
        }
        self.cache.lock().insert(key, (addresses.clone(), Instant::now()));
        Ok(addresses)
    }
}

/// The resolver as ureq takes it (by value), sharing its cache and counter with the transport.
#[derive(Debug, Clone, Default)]
pub struct SharedResolver(pub std::sync::Arc<CachingResolver>);

impl Resolver for SharedResolver {
    fn resolve(
        &self,
        uri: &Uri,
        _config: &ureq::config::Config,
        _timeout: NextTimeout,
    ) -> Result<ResolvedSocketAddrs, ureq::Error> {
        let authority = uri.authority().ok_or(ureq::Error::HostNotFound)?;
        let https = uri.scheme_str() == Some("https");
        let port = authority.port_u16().unwrap_or(if https { 443 } else { 80 });
        let addresses = self.0.addresses(authority.host(), port).map_err(|e| match e.kind() {
            std::io::ErrorKind::NotFound => ureq::Error::HostNotFound,
            _ => ureq::Error::Io(e),
        })?;
        let mut resolved = self.empty();
        for address in addresses {
            if resolved.try_push(address).is_err() {
                break;
            }
        }
        Ok(resolved)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ip_literals_need_no_lookup_and_names_are_looked_up_once() {
        let resolver = CachingResolver::default();
        assert_eq!(resolver.addresses("127.0.0.1", 8080).unwrap(), vec!["127.0.0.1:8080".parse().unwrap()]);
        assert_eq!(resolver.addresses("[::1]", 443).unwrap(), vec!["[::1]:443".parse().unwrap()]);
        assert_eq!(resolver.lookups(), 0);
        // `localhost` comes from /etc/hosts: no network needed.
        let first = resolver.addresses("localhost", 80).unwrap();
        let second = resolver.addresses("localhost", 80).unwrap();
        assert_eq!(first, second);
        assert_eq!(resolver.lookups(), 1, "the second answer came from the cache");
    }
}
