//! Name resolution when a connection opens: an IP literal is used as it is, a host name's
//! addresses are kept for a fixed minute (the system resolver does not report TTLs). Asked on
//! the delivery thread, never on a thread of its own.

use std::collections::HashMap;
use std::net::{IpAddr, SocketAddr, ToSocketAddrs};
use std::time::{Duration, Instant};

/// How long a host name's addresses are reused before the system is asked again.
pub(crate) const ADDRESS_LIFETIME: Duration = Duration::from_secs(60);

#[derive(Debug, Default)]
pub struct CachingResolver {
    /// `host:port` to its addresses and when they were looked up.
    cache: HashMap<String, (Vec<SocketAddr>, Instant)>,
    /// Lookups the system answered.
    #[cfg_attr(not(test), allow(dead_code))]
    lookups: u64,
}

impl CachingResolver {
    /// How many times the system resolver was asked so far (what the unit test checks).
    #[cfg(test)]
    pub fn lookups(&self) -> u64 {
        self.lookups
    }

    /// The addresses of `host:port`: an IP literal as it is, a name from the cache or the system.
    pub fn addresses(&mut self, host: &str, port: u16) -> std::io::Result<Vec<SocketAddr>> {
        let literal = host.trim_start_matches('[').trim_end_matches(']');
        if let Ok(ip) = literal.parse::<IpAddr>() {
            return Ok(vec![SocketAddr::new(ip, port)]);
        }
        let key = format!("{host}:{port}");
        if let Some((addresses, at)) = self.cache.get(&key) {
            if at.elapsed() < ADDRESS_LIFETIME {
                return Ok(addresses.clone());
            }
        }
        let addresses: Vec<SocketAddr> = (host, port).to_socket_addrs()?.collect();
        self.lookups += 1;
        if addresses.is_empty() {
            return Err(std::io::Error::new(std::io::ErrorKind::NotFound, format!("{host} has no address")));
        }
        self.cache.insert(key, (addresses.clone(), Instant::now()));
        Ok(addresses)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ip_literals_need_no_lookup_and_names_are_looked_up_once() {
        let mut resolver = CachingResolver::default();
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
