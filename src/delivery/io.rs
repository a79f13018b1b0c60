//! The delivery loop: one thread drives every request of a client over a pool of keep-alive
//! connections with non-blocking sockets (mio), TLS (rustls's non-blocking API) and HTTP/1.1
//! (`Exchange`: the request written directly, the answer read with httparse). Requests in flight
//! grow with the backlog up to `native.maxConnections`; each session has at most one, so a slow
//! answer for one session holds one connection, not the others' events.

use std::collections::VecDeque;
use std::io::{self, Read, Write};
use std::net::SocketAddr;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};

use mio::net::TcpStream;
use mio::{Events, Interest, Poll, Token};
use rustls::pki_types::ServerName;
use rustls::ClientConnection;

use super::exchange::{Exchange, Progress, Via};
use super::queue::ReadyQueue;
use super::resolve::CachingResolver;
use super::transport::{FailureKind, TransportError};
use super::{Endpoint, Handler, HttpResult, Request};
use crate::clock::Clock;
use crate::log::{Level, Logger};
use crate::proxy::Proxy;

/// The waker's token; connections use their slot's index.
pub(crate) const WAKE: Token = Token(usize::MAX);
/// An idle keep-alive connection is closed after this long (servers commonly close at 60 s).
pub(crate) const MAX_IDLE: Duration = Duration::from_secs(55);

/// Where and how the loop connects: one origin, as every request goes to the same Edge.
pub struct Target {
    pub host: String,
    pub port: u16,
    /// `None` for plain HTTP (loopback only, the configuration checks that).
    pub tls: Option<Arc<rustls::ClientConfig>>,
    /// The HTTP proxy every connection goes through: a CONNECT tunnel for HTTPS, the absolute
    /// URL in the request line for plain http.
    pub proxy: Option<Proxy>,
    pub connect_timeout: Duration,
    pub request_timeout: Duration,
    pub max_connections: usize,
}

impl Target {
    /// Where requests go, from the configuration and (for the proxy, when the configuration says
    /// nothing) the environment. Fails on a bad origin, trust store or proxy setting.
    pub fn from_config(config: &crate::config::Config) -> Result<Target, String> {
        let origin = config.edge_origin();
        let (https, host, port) = parse_origin(&origin).ok_or_else(|| format!("bad Edge origin {origin}"))?;
        let tls = if https { Some(crate::tls::client_config(config.trust_anchors.as_ref())?) } else { None };
        let proxy = crate::proxy::choose(&config.proxy, &host, https, &|name| std::env::var(name).ok())?;
        Ok(Target {
            port,
            host,
            tls,
            proxy,
            connect_timeout: config.connect_timeout,
            request_timeout: config.request_timeout,
            max_connections: config.max_connections,
        })
    }

    /// `host:port` as a CONNECT request and a Host header name it.
    fn authority(&self) -> String {
        if self.host.contains(':') {
            format!("[{}]:{}", self.host, self.port)
        } else {
            format!("{}:{}", self.host, self.port)
        }
    }

    /// How a request goes out on a connection of this target.
    fn via(&self) -> Via<'_> {
        match (&self.proxy, &self.tls) {
            // Plain http through a proxy: the proxy forwards each request.
            (Some(proxy), None) => Via::Forwarding { authorization: proxy.authorization() },
            // Direct, or inside a CONNECT tunnel: the request is the origin server's.
            _ => Via::Direct,
        }
    }

    /// The CONNECT request that opens a tunnel through the proxy to the Edge.
    fn connect_request(&self, proxy: &Proxy) -> Vec<u8> {
        let authority = self.authority();
        let mut request = format!(
            "CONNECT {authority} HTTP/1.1\r\nHost: {authority}\r\nUser-Agent: mediaedge/{}\r\n",
            env!("CARGO_PKG_VERSION")
        );
        if let Some(authorization) = proxy.authorization() {
            request.push_str("Proxy-Authorization: ");
            request.push_str(authorization);
            request.push_str("\r\n");
        }
        request.push_str("\r\n");
        request.into_bytes()
    }
}

/// `http(s)://host[:port]` as (https, host without brackets, port).
fn parse_origin(origin: &str) -> Option<(bool, String, u16)> {
    let (scheme, authority) = origin.split_once("://")?;
    let https = match scheme {
        "https" => true,
        "http" => false,
        _ => return None,
    };
    let default_port = if https { 443 } else { 80 };
    let (host, port) = match authority.strip_prefix('[') {
        Some(bracketed) => {
            let (host, after) = bracketed.split_once(']')?;
            host.parse::<std::net::Ipv6Addr>().ok()?;
            (host, after.strip_prefix(':'))
        }
        None => match authority.split_once(':') {
            Some((host, port)) => (host, Some(port)),
            None => (authority, None),
        },
    };
    let host_ok = !host.is_empty() && host.bytes().all(|b| b.is_ascii_alphanumeric() || b".-_:".contains(&b));
    let port = match port {
        Some(port) => port.parse::<u16>().ok().filter(|p| *p > 0)?,
        None => default_port,
    };
    host_ok.then(|| (https, host.to_string(), port))
}

/// One request on its way, with what is needed to hand its answer back or send it again.
struct Job<S> {
    session: S,
    tag: u64,
    action: &'static str,
    url: String,
    /// The request's bytes (kept whole, to send again) and its answer so far.
    exchange: Box<Exchange>,
    deadline: Instant,
    /// Sent again already after a reused connection failed before any answer.
    resent: bool,
    started: Instant,
}

impl<S> Job<S> {
    /// The job as it takes a connection: its answer is due one request timeout from now (time
    /// spent waiting for a connection does not count against it).
    fn on_the_wire(mut self, request_timeout: Duration) -> Job<S> {
        self.deadline = Instant::now() + request_timeout;
        self
    }
}

enum Phase {
    Connecting,
    /// Asking the proxy for a tunnel to the Edge.
    Tunneling,
    Handshaking,
    Ready,
}

/// A CONNECT request on its way to the proxy, and the proxy's answer as it arrives.
struct Tunnel {
    request: Vec<u8>,
    written: usize,
    answer: Vec<u8>,
}

/// What a 407 from a proxy says.
const PROXY_AUTH: &str = "407 Proxy Authentication Required (check the user name and password in the proxy URL)";

/// A proxy's answer to CONNECT is a status line and a few headers; more is not a proxy.
const MAX_TUNNEL_ANSWER: usize = 16 * 1024;

struct Connection<S> {
    stream: TcpStream,
    tls: Option<Box<ClientConnection>>,
    /// Set while the tunnel through the proxy is being asked for.
    tunnel: Option<Box<Tunnel>>,
    /// Connected to a proxy rather than to the Edge (for what errors say).
    proxied: bool,
    peer: SocketAddr,
    phase: Phase,
    /// When connecting and the TLS handshake must be over.
    connect_deadline: Instant,
    last_used: Instant,
    /// Has carried a request before the current one.
    reused: bool,
    job: Option<Job<S>>,
}

/// What driving a connection led to.
enum Driven {
    /// Waiting for the socket.
    Blocked,
    /// The job's answer (the connection stays, unless `close`).
    Answered(HttpResult, bool),
    /// The connection failed (and its job, if any, with it).
    Failed(TransportError),
    /// An idle connection the server closed.
    Closed,
}

pub struct Io<S> {
    poll: Poll,
    target: Target,
    connections: Vec<Option<Connection<S>>>,
    /// Requests waiting for a connection, oldest first.
    waiting: VecDeque<Job<S>>,
    /// The connections that are ready and carry no request, in the order they became so.
    idle: Vec<usize>,
    resolver: CachingResolver,
    opened: Arc<AtomicU64>,
    /// Where sockets are read into: one buffer for the loop, made once.
    scratch: Box<[u8]>,
}

fn network(message: impl Into<String>) -> TransportError {
    TransportError { kind: FailureKind::Network, message: message.into() }
}

fn tls_failure(e: impl std::fmt::Display) -> TransportError {
    TransportError {
        kind: FailureKind::Tls,
        message: format!(
            "TLS handshake failed: {e} (is the server's certificate signed by native.caFile/caPem or a public CA?)"
        ),
    }
}

impl<S> Io<S> {
    pub fn new(poll: Poll, target: Target, opened: Arc<AtomicU64>) -> Io<S> {
        Io {
            poll,
            target,
            connections: Vec::new(),
            waiting: VecDeque::new(),
            idle: Vec::new(),
            resolver: CachingResolver::default(),
            opened,
            scratch: vec![0; 16 * 1024].into_boxed_slice(),
        }
    }

    /// The loop's body, until the queue shuts down.
    pub fn run(
        &mut self,
        ready: &ReadyQueue<S>,
        endpoint: &Endpoint,
        clock: &dyn Clock,
        handler: &dyn Handler<S>,
        logger: &Logger,
    ) {
        let mut events = Events::with_capacity(256);
        if let Some(proxy) = &self.target.proxy {
            logger.log(Level::Info, || format!("requests to the Edge go through the proxy {proxy}"));
        }
        while !ready.is_shut_down() {
            // Only as many requests as connections can take now are made: the other sessions
            // wait in the queue as they are, not as requests (a burst of thousands of sessions
            // would otherwise hold a request each, and leave the allocator that much memory).
            let mut room = self.room();
            while room > 0 {
                let Some(session) = ready.try_pop() else { break };
                match handler.next_request(&session) {
                    Some(request) => {
                        let url = endpoint.url(request.action, &request.request_id, clock.now());
                        self.queue(session, request, url, handler, ready, logger);
                        room -= 1;
                    }
                    None => ready.done(),
                }
            }
            self.start_waiting(handler, ready, logger);
            // Sessions queued meanwhile: look at the sockets without waiting, then serve them
            // (never skip the poll: a steady stream of sessions would starve the answers).
            // Without room, only a connection's event (which wakes the poll) can make some.
            let timeout = if self.room() == 0 || ready.loop_may_sleep() {
                self.next_deadline().map(|at| at.saturating_duration_since(Instant::now()))
            } else {
                Some(Duration::ZERO)
            };
            let polled = self.poll.poll(&mut events, timeout);
            ready.loop_awake();
            if let Err(e) = polled {
                if e.kind() != io::ErrorKind::Interrupted {
                    logger.log(Level::Error, || format!("delivery loop: poll failed: {e}"));
                    std::thread::sleep(Duration::from_millis(10));
                }
                continue;
            }
            for event in events.iter() {
                if event.token() != WAKE {
                    self.drive(event.token().0, handler, ready, logger);
                }
            }
            self.expire(handler, ready, logger);
        }
    }

    fn queue(
        &mut self,
        session: S,
        request: Request,
        url: String,
        handler: &dyn Handler<S>,
        ready: &ReadyQueue<S>,
        logger: &Logger,
    ) {
        match Exchange::post_json(&url, &request.body, self.target.via()) {
            Ok(exchange) => self.waiting.push_back(Job {
                exchange: Box::new(exchange),
                session,
                tag: request.tag,
                action: request.action,
                url,
                deadline: Instant::now() + self.target.request_timeout,
                resent: false,
                started: Instant::now(),
            }),
            Err(e) => {
                logger.log(Level::Warn, || format!("cannot make a request for {url}: {}", e.message));
                handler.answered(&session, request.tag, request.action, Err(e));
                ready.done();
            }
        }
    }

    /// How many more requests connections could take now: the idle ones and those that may
    /// still be opened, less the requests already waiting for one.
    fn room(&self) -> usize {
        let open = self.connections.iter().flatten().count();
        (self.idle.len() + self.target.max_connections.saturating_sub(open)).saturating_sub(self.waiting.len())
    }

    /// Puts waiting requests on idle connections, and opens connections up to the limit.
    fn start_waiting(&mut self, handler: &dyn Handler<S>, ready: &ReadyQueue<S>, logger: &Logger) {
        while let Some(job) = self.waiting.pop_front() {
            // The most recently freed connection: the others may idle out.
            if let Some(index) = self.idle.pop() {
                let connection = self.connections[index].as_mut().expect("idle connection");
                connection.reused = true;
                connection.job = Some(job.on_the_wire(self.target.request_timeout));
                self.drive(index, handler, ready, logger);
                continue;
            }
            // Every connection still connecting carries the request it was opened for (one without
            // a job is always Ready), so only an idle Ready one can take another.
            let open = self.connections.iter().flatten().count();
            if open >= self.target.max_connections {
                self.waiting.push_front(job);
                return;
            }
            match self.connect().and_then(|connection| self.slot(connection)) {
                Ok(index) => {
                    self.connections[index].as_mut().expect("just added").job =
                        Some(job.on_the_wire(self.target.request_timeout));
                    self.drive(index, handler, ready, logger);
                }
                Err(e) => self.finish(job, Err(e), handler, ready, logger),
            }
        }
    }

    /// Registers a new connection with the poll, in a free slot.
    fn slot(&mut self, mut connection: Connection<S>) -> Result<usize, TransportError> {
        let index = match self.connections.iter().position(Option::is_none) {
            Some(index) => index,
            None => {
                self.connections.push(None);
                self.connections.len() - 1
            }
        };
        let interest = Interest::READABLE | Interest::WRITABLE;
        if let Err(e) = self.poll.registry().register(&mut connection.stream, Token(index), interest) {
            return Err(network(format!("cannot watch the socket: {e}")));
        }
        self.connections[index] = Some(connection);
        Ok(index)
    }

    fn connect(&mut self) -> Result<Connection<S>, TransportError> {
        let (host, port) = match &self.target.proxy {
            Some(proxy) => (proxy.host.as_str(), proxy.port),
            None => (self.target.host.as_str(), self.target.port),
        };
        let what = if self.target.proxy.is_some() { "the proxy " } else { "" };
        let addresses =
            self.resolver.addresses(host, port).map_err(|e| network(format!("cannot resolve {what}{host}: {e}")))?;
        let address: SocketAddr = addresses[0];
        let stream =
            TcpStream::connect(address).map_err(|e| network(format!("cannot connect to {what}{address}: {e}")))?;
        let _ = stream.set_nodelay(true);
        let tls = match &self.target.tls {
            Some(config) => {
                let name = ServerName::try_from(self.target.host.clone())
                    .map_err(|e| tls_failure(format!("bad server name {}: {e}", self.target.host)))?;
                Some(Box::new(ClientConnection::new(Arc::clone(config), name).map_err(tls_failure)?))
            }
            None => None,
        };
        let tunnel = match (&self.target.proxy, &tls) {
            (Some(proxy), Some(_)) => {
                Some(Box::new(Tunnel { request: self.target.connect_request(proxy), written: 0, answer: Vec::new() }))
            }
            _ => None,
        };
        self.opened.fetch_add(1, Ordering::Relaxed);
        let now = Instant::now();
        Ok(Connection {
            stream,
            tls,
            tunnel,
            proxied: self.target.proxy.is_some(),
            peer: address,
            phase: Phase::Connecting,
            connect_deadline: now + self.target.connect_timeout,
            last_used: now,
            reused: false,
            job: None,
        })
    }

    /// Moves a connection as far as its socket allows, and settles what that led to.
    fn drive(&mut self, index: usize, handler: &dyn Handler<S>, ready: &ReadyQueue<S>, logger: &Logger) {
        let Some(connection) = self.connections.get_mut(index).and_then(Option::as_mut) else { return };
        let driven = connection.drive(&mut self.scratch);
        match driven {
            Driven::Blocked => {}
            Driven::Answered(result, close) => {
                let job = connection.job.take().expect("answered job");
                // The Edge never asks for proxy credentials: a 407 is a forwarding proxy's
                // refusal, a network failure like the tunnel's, retried as such.
                let result = match result {
                    Ok(reply) if reply.status == 407 => {
                        Err(network(format!("the proxy refused the request: {PROXY_AUTH}")))
                    }
                    other => other,
                };
                connection.last_used = Instant::now();
                if close {
                    self.close(index);
                } else {
                    self.idle.push(index);
                }
                // The connection is free: a waiting request takes it when the loop comes round
                // (not from here: an answer that is already there would recurse, one level per
                // request, as deep as the backlog).
                self.finish(job, result, handler, ready, logger);
            }
            Driven::Failed(error) => {
                let job = connection.job.take();
                let reused = connection.reused;
                self.close(index);
                if let Some(mut job) = job {
                    // A reused connection that fails before any answer was most likely closed by
                    // the server while idle: send once more on a new connection.
                    if reused && !job.resent && !job.exchange.answered_any() && error.kind == FailureKind::Network {
                        logger.log(Level::Debug, || format!("resending on a new connection: {}", error.message));
                        job.exchange.restart();
                        job.resent = true;
                        self.waiting.push_front(job);
                    } else {
                        self.finish(job, Err(error), handler, ready, logger);
                    }
                }
            }
            Driven::Closed => self.close(index),
        }
    }

    fn finish(
        &mut self,
        job: Job<S>,
        result: HttpResult,
        handler: &dyn Handler<S>,
        ready: &ReadyQueue<S>,
        logger: &Logger,
    ) {
        logger.log(Level::Debug, || {
            let path = job.url.split('?').next().unwrap_or_default();
            let outcome = match &result {
                Ok(reply) => reply.status.to_string(),
                Err(e) => format!("error: {}", e.message),
            };
            format!("POST {path} -> {outcome} in {} ms", job.started.elapsed().as_millis())
        });
        handler.answered(&job.session, job.tag, job.action, result);
        ready.done();
    }

    fn close(&mut self, index: usize) {
        self.idle.retain(|&i| i != index);
        if let Some(mut connection) = self.connections[index].take() {
            let _ = self.poll.registry().deregister(&mut connection.stream);
            if let Some(job) = connection.job.take() {
                self.waiting.push_front(job);
            }
        }
    }

    fn next_deadline(&self) -> Option<Instant> {
        let mut next: Option<Instant> = None;
        let mut consider = |at: Instant| next = Some(next.map_or(at, |n| n.min(at)));
        for connection in self.connections.iter().flatten() {
            match (&connection.phase, &connection.job) {
                (Phase::Ready, Some(job)) => consider(job.deadline),
                (Phase::Ready, None) => consider(connection.last_used + MAX_IDLE),
                (_, job) => {
                    consider(connection.connect_deadline);
                    if let Some(job) = job {
                        consider(job.deadline);
                    }
                }
            }
        }
        next
    }

    /// Fails what ran out of time and closes connections idle too long.
    fn expire(&mut self, handler: &dyn Handler<S>, ready: &ReadyQueue<S>, logger: &Logger) {
        let now = Instant::now();
        for index in 0..self.connections.len() {
            let Some(connection) = self.connections[index].as_mut() else { continue };
            let failure = match (&connection.phase, &connection.job) {
                (Phase::Ready, None) if now >= connection.last_used + MAX_IDLE => {
                    self.close(index);
                    continue;
                }
                (Phase::Connecting | Phase::Tunneling | Phase::Handshaking, _)
                    if now >= connection.connect_deadline =>
                {
                    Some(TransportError {
                        kind: FailureKind::Timeout,
                        message: format!("not connected within {} ms", self.target.connect_timeout.as_millis()),
                    })
                }
                (_, Some(job)) if now >= job.deadline => Some(TransportError {
                    kind: FailureKind::Timeout,
                    message: format!("no answer within {} ms", self.target.request_timeout.as_millis()),
                }),
                _ => None,
            };
            if let Some(error) = failure {
                let job = connection.job.take();
                self.close(index);
                if let Some(job) = job {
                    self.finish(job, Err(error), handler, ready, logger);
                }
            }
        }
        self.start_waiting(handler, ready, logger);
    }
}

impl<S> Connection<S> {
    /// `scratch` receives what the socket has (the loop's one buffer, not zeroed per call).
    fn drive(&mut self, scratch: &mut [u8]) -> Driven {
        loop {
            let step = match self.phase {
                Phase::Connecting => self.finish_connect(),
                Phase::Tunneling => self.tunnel(),
                Phase::Handshaking => self.handshake(),
                Phase::Ready => return self.exchange(scratch),
            };
            match step {
                Ok(true) => continue,
                Ok(false) => return Driven::Blocked,
                Err(e) => return Driven::Failed(e),
            }
        }
    }

    /// True once connected (the phase moved on).
    fn finish_connect(&mut self) -> Result<bool, TransportError> {
        let what = if self.proxied { "the proxy " } else { "" };
        let failed = |e: io::Error| network(format!("cannot connect to {what}{}: {e}", self.peer));
        if let Ok(Some(e)) | Err(e) = self.stream.take_error() {
            return Err(failed(e));
        }
        match self.stream.peer_addr() {
            Ok(_) => {
                self.phase = match (&self.tunnel, &self.tls) {
                    (Some(_), _) => Phase::Tunneling,
                    (None, Some(_)) => Phase::Handshaking,
                    (None, None) => Phase::Ready,
                };
                Ok(true)
            }
            Err(e) if e.kind() == io::ErrorKind::NotConnected || e.raw_os_error() == Some(libc::EINPROGRESS) => {
                Ok(false)
            }
            Err(e) => Err(failed(e)),
        }
    }

    /// Sends CONNECT and reads the proxy's answer; true once the tunnel is open (the phase moved
    /// on to the TLS handshake, which then runs through the tunnel).
    fn tunnel(&mut self) -> Result<bool, TransportError> {
        let tunnel = self.tunnel.as_mut().expect("a tunnel being opened");
        while tunnel.written < tunnel.request.len() {
            match self.stream.write(&tunnel.request[tunnel.written..]) {
                Ok(0) => return Err(network("the proxy closed the connection")),
                Ok(n) => tunnel.written += n,
                Err(e) if e.kind() == io::ErrorKind::WouldBlock => return Ok(false),
                Err(e) if e.kind() == io::ErrorKind::Interrupted => {}
                Err(e) => return Err(network(format!("sending CONNECT to the proxy failed: {e}"))),
            }
        }
        let mut buffer = [0u8; 4096];
        loop {
            match self.stream.read(&mut buffer) {
                Ok(0) => return Err(network("the proxy closed the connection before answering CONNECT")),
                Ok(n) => tunnel.answer.extend_from_slice(&buffer[..n]),
                Err(e) if e.kind() == io::ErrorKind::WouldBlock => return Ok(false),
                Err(e) if e.kind() == io::ErrorKind::Interrupted => continue,
                Err(e) => return Err(network(format!("reading the proxy's answer to CONNECT failed: {e}"))),
            }
            // The same parser as the Edge's answers (exchange.rs).
            let mut headers = [httparse::EMPTY_HEADER; 32];
            let mut answer = httparse::Response::new(&mut headers);
            let end = match answer.parse(&tunnel.answer) {
                Ok(httparse::Status::Complete(end)) => end,
                Ok(httparse::Status::Partial) if tunnel.answer.len() <= MAX_TUNNEL_ANSWER => continue,
                _ => return Err(network("the proxy's answer to CONNECT is not HTTP")),
            };
            match answer.code.unwrap_or(0) {
                200..=299 => {}
                407 => return Err(network(format!("the proxy refused the tunnel: {PROXY_AUTH}"))),
                status => {
                    let reason = answer.reason.unwrap_or_default();
                    return Err(network(format!("the proxy refused the tunnel: {status} {reason}")));
                }
            }
            // Whatever followed the answer is the Edge's, through the tunnel.
            let rest = tunnel.answer.split_off(end);
            self.tunnel = None;
            let tls = self.tls.as_mut().expect("a tunnel carries TLS");
            if !rest.is_empty() {
                tls.read_tls(&mut rest.as_slice()).map_err(|e| network(format!("through the proxy: {e}")))?;
                tls.process_new_packets().map_err(tls_failure)?;
            }
            self.phase = Phase::Handshaking;
            return Ok(true);
        }
    }

    fn handshake(&mut self) -> Result<bool, TransportError> {
        let tls = self.tls.as_mut().expect("TLS connection");
        let progressed = pump_tls(tls, &mut self.stream)?;
        if !tls.is_handshaking() {
            self.phase = Phase::Ready;
            return Ok(true);
        }
        Ok(progressed)
    }

    fn exchange(&mut self, scratch: &mut [u8]) -> Driven {
        match self.exchange_step(scratch) {
            Ok(Some((reply, close))) => Driven::Answered(Ok(reply), close),
            Ok(None) => Driven::Blocked,
            // An idle connection that reads anything (the server's close, mostly) is done.
            Err(_) if self.job.is_none() => Driven::Closed,
            Err(e) => Driven::Failed(e),
        }
    }

    /// Writes what the job has to write, reads what came, until the socket would block
    /// (`Ok(None)`) or the answer is complete.
    fn exchange_step(
        &mut self,
        buffer: &mut [u8],
    ) -> Result<Option<(super::transport::HttpReply, bool)>, TransportError> {
        loop {
            // Write what the socket (and, over TLS, rustls's buffer) takes, until neither moves.
            loop {
                let mut moved = false;
                if let Some(job) = self.job.as_mut() {
                    let unwritten = job.exchange.unwritten();
                    if !unwritten.is_empty() {
                        let written = match &mut self.tls {
                            Some(tls) => tls.writer().write(unwritten),
                            None => self.stream.write(unwritten),
                        };
                        match written {
                            Ok(n) => {
                                job.exchange.wrote(n);
                                moved = n > 0;
                            }
                            Err(e) if e.kind() == io::ErrorKind::WouldBlock => {}
                            Err(e) if e.kind() == io::ErrorKind::Interrupted => moved = true,
                            Err(e) => return Err(network(format!("send failed: {e}"))),
                        }
                    }
                }
                if let Some(tls) = self.tls.as_mut() {
                    moved |= pump_tls(tls, &mut self.stream)?;
                }
                if !moved {
                    break;
                }
            }
            // Read.
            let read = match &mut self.tls {
                // An end without close_notify reads as UnexpectedEof: for HTTP, with its own
                // framing, an end like any other.
                Some(tls) => match tls.reader().read(buffer) {
                    Err(e) if e.kind() == io::ErrorKind::UnexpectedEof => Ok(0),
                    other => other,
                },
                None => self.stream.read(buffer),
            };
            let progress = match read {
                Ok(0) => match self.job.as_mut() {
                    Some(job) => job.exchange.closed()?,
                    None => return Err(network("closed by the server")),
                },
                Ok(n) => match self.job.as_mut() {
                    Some(job) => job.exchange.received(&buffer[..n])?,
                    // Bytes on an idle connection: nothing was asked; the connection is unusable.
                    None => return Err(network("unexpected bytes on an idle connection")),
                },
                Err(e) if e.kind() == io::ErrorKind::WouldBlock => return Ok(None),
                Err(e) if e.kind() == io::ErrorKind::Interrupted => continue,
                Err(e) => return Err(network(format!("receive failed: {e}"))),
            };
            match progress {
                Progress::Done(reply, close) => return Ok(Some((reply, close))),
                Progress::More => continue,
            }
        }
    }
}

/// Moves TLS records between rustls and the socket until the socket would block. True if
/// anything moved.
fn pump_tls(tls: &mut ClientConnection, stream: &mut TcpStream) -> Result<bool, TransportError> {
    let mut moved = false;
    loop {
        let mut progressed = false;
        while tls.wants_write() {
            match tls.write_tls(stream) {
                Ok(0) => break,
                Ok(_) => progressed = true,
                Err(e) if e.kind() == io::ErrorKind::WouldBlock => break,
                Err(e) if e.kind() == io::ErrorKind::Interrupted => continue,
                Err(e) => return Err(network(format!("send failed: {e}"))),
            }
        }
        if tls.wants_read() {
            match tls.read_tls(stream) {
                Ok(0) => {
                    // The peer closed: a handshake cannot finish; otherwise the reader sees the end.
                    if tls.is_handshaking() {
                        return Err(network("the connection closed during the TLS handshake"));
                    }
                    tls.process_new_packets().map_err(tls_failure)?;
                    return Ok(moved || progressed);
                }
                Ok(_) => {
                    progressed = true;
                    tls.process_new_packets().map_err(|e| {
                        // A failed handshake is the certificate's or the protocol's, not the network's.
                        tls_failure(e)
                    })?;
                }
                Err(e) if e.kind() == io::ErrorKind::WouldBlock => {}
                Err(e) if e.kind() == io::ErrorKind::Interrupted => continue,
                Err(e) => return Err(network(format!("receive failed: {e}"))),
            }
        }
        moved |= progressed;
        if !progressed {
            return Ok(moved);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn origins_are_read_with_their_default_ports() {
        assert_eq!(parse_origin("https://edge.adobedc.net"), Some((true, "edge.adobedc.net".into(), 443)));
        assert_eq!(parse_origin("http://127.0.0.1:8080"), Some((false, "127.0.0.1".into(), 8080)));
        assert_eq!(parse_origin("https://[::1]:9"), Some((true, "::1".into(), 9)));
        assert_eq!(parse_origin("http://localhost"), Some((false, "localhost".into(), 80)));
        for bad in ["ftp://x", "https://", "https://ho st", "https://h:0", "https://h:x", "https://[zz]:1", "h:1"] {
            assert_eq!(parse_origin(bad), None, "{bad}");
        }
    }
}
