//! `mediaedge-emulator [--port N] [--port-file PATH] [--quiet]`
//!
//! Serves the Media Edge API on 127.0.0.1 and prints a timeline line for every request it answers.
//! Runs until killed, or until standard input closes when `--until-stdin-closes` is given.

use std::io::{Read, Write};
use std::time::Duration;

use mediaedge_emulator::Emulator;

fn usage() -> ! {
    eprintln!("usage: mediaedge-emulator [--port N] [--port-file PATH] [--quiet] [--until-stdin-closes]");
    std::process::exit(2);
}

fn main() {
    let mut port = 0u16;
    let mut port_file = None;
    let mut quiet = false;
    let mut until_stdin_closes = false;
    let mut args = std::env::args().skip(1);
    while let Some(arg) = args.next() {
        match arg.as_str() {
            "--port" => port = args.next().and_then(|v| v.parse().ok()).unwrap_or_else(|| usage()),
            "--port-file" => port_file = Some(args.next().unwrap_or_else(|| usage())),
            "--quiet" => quiet = true,
            "--until-stdin-closes" => until_stdin_closes = true,
            _ => usage(),
        }
    }
    let emulator = match Emulator::start_on(port) {
        Ok(e) => e,
        Err(e) => {
            eprintln!("mediaedge-emulator: cannot listen on 127.0.0.1:{port}: {e}");
            std::process::exit(1);
        }
    };
    if !quiet {
        emulator.set_observer(|r| {
            let mut out = std::io::stdout().lock();
            let _ = writeln!(out, "{}", r.timeline_line());
            let _ = out.flush();
        });
    }
    println!("mediaedge-emulator listening on {}", emulator.base_url());
    let _ = std::io::stdout().flush();
    if let Some(path) = port_file {
        // Written after the socket is bound, so a script waiting for the file can connect at once.
        let tmp = format!("{path}.tmp");
        if std::fs::write(&tmp, emulator.port().to_string()).and_then(|_| std::fs::rename(&tmp, &path)).is_err() {
            eprintln!("mediaedge-emulator: cannot write {path}");
            std::process::exit(1);
        }
    }
    if until_stdin_closes {
        let mut sink = Vec::new();
        let _ = std::io::stdin().read_to_end(&mut sink);
    } else {
        loop {
            std::thread::sleep(Duration::from_secs(3600));
        }
    }
}
