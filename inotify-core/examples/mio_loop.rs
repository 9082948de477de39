//! A program with its own `mio` event loop waits on inotify and on a UDP
//! socket at once, with no extra thread (feature `mio`).
//!
//! ```text
//! cargo run -p inotify-core --features mio --example mio_loop -- [DIR] [SECONDS]
//! ```
//!
//! Prints every event in DIR. Stops when a datagram arrives on the printed
//! loopback address (for example `echo stop > /dev/udp/127.0.0.1/PORT` in
//! bash), or after SECONDS. Without DIR, a demo in a temporary directory:
//! it makes a file, and once its events are printed sends itself the stop
//! datagram.

#[path = "support/demo_dir.rs"]
mod demo_dir;

use std::io;
use std::net::SocketAddr;
use std::time::{Duration, Instant};

use inotify_core::{EventBuffer, InitOptions, Inotify, WatchMask};
use mio::net::UdpSocket;
use mio::{Events, Interest, Poll, Token};

const INOTIFY: Token = Token(0);
const CONTROL: Token = Token(1);

fn main() -> io::Result<()> {
    let dir = demo_dir::DemoDir::from_args("mio-loop")?;
    let limit = match std::env::args_os().nth(2) {
        Some(secs) => Some(parse_seconds(&secs)?),
        None => None,
    };

    let mut inotify = Inotify::init_with(InitOptions { nonblocking: true })?;
    inotify.add_watch(dir.path(), WatchMask::ALL_EVENTS)?;
    let mut control = UdpSocket::bind(SocketAddr::from(([127, 0, 0, 1], 0)))?;

    let mut poll = Poll::new()?;
    poll.registry()
        .register(&mut inotify, INOTIFY, Interest::READABLE)?;
    poll.registry()
        .register(&mut control, CONTROL, Interest::READABLE)?;
    println!(
        "watching {}; send a datagram to {} to stop",
        dir.path().display(),
        control.local_addr()?
    );
    if dir.is_demo() {
        std::fs::write(dir.join("file"), b"x")?;
    }

    let deadline = limit.map(|limit| Instant::now() + limit);
    let mut events = Events::with_capacity(64);
    let mut buffer = EventBuffer::new();
    loop {
        let timeout = deadline.map(|d| d.saturating_duration_since(Instant::now()));
        if timeout.is_some_and(|t| t.is_zero()) {
            println!("time is up");
            return dir.remove();
        }
        match poll.poll(&mut events, timeout) {
            Ok(()) => {}
            Err(err) if err.kind() == io::ErrorKind::Interrupted => continue,
            Err(err) => return Err(err),
        }
        for event in &events {
            match event.token() {
                INOTIFY => {
                    drain(&inotify, &mut buffer)?;
                    if dir.is_demo() {
                        // The demo's events are printed: stop as a user would.
                        std::net::UdpSocket::bind(SocketAddr::from(([127, 0, 0, 1], 0)))?
                            .send_to(b"stop", control.local_addr()?)?;
                    }
                }
                CONTROL => {
                    let mut datagram = [0; 64];
                    match control.recv_from(&mut datagram) {
                        Ok((_, from)) => {
                            println!("stop requested by {from}");
                            return dir.remove();
                        }
                        Err(err) if err.kind() == io::ErrorKind::WouldBlock => {}
                        Err(err) => return Err(err),
                    }
                }
                _ => {}
            }
        }
    }
}

/// mio is edge-triggered: read until the queue is empty, or the records
/// left behind would not wake the next poll.
fn drain(inotify: &Inotify, buffer: &mut EventBuffer) -> io::Result<()> {
    loop {
        let mut batch = inotify.try_read_events(buffer)?.peekable();
        if batch.peek().is_none() {
            return Ok(());
        }
        for event in batch {
            println!("{event}");
        }
    }
}

fn parse_seconds(arg: &std::ffi::OsStr) -> io::Result<Duration> {
    arg.to_str()
        .and_then(|s| s.parse::<u64>().ok())
        .map(Duration::from_secs)
        .ok_or_else(|| {
            io::Error::new(
                io::ErrorKind::InvalidInput,
                format!("SECONDS must be a whole number, not {}", arg.display()),
            )
        })
}
