//! `mediaedge-emulator [--port N] [--port-file PATH] [--quiet] [--until-stdin-closes]
//!                     [--latency-ms N] [--jitter-ms N] [--fault JSON]...`
//!
//! Serves the Media Edge API on 127.0.0.1 and prints a timeline line for every request it answers.
//! Runs until killed, or until standard input closes when `--until-stdin-closes` is given.
//! `--latency-ms`/`--jitter-ms` delay every answer (a fixed part plus a uniform random part);
//! `--fault` scripts a fault as `POST /__emulator/faults` takes it, for example
//! `--fault '{"action":"ping","delayMs":3000,"times":40}'`. Both can be changed at run time
//! through `POST /__emulator/latency` and `POST /__emulator/faults`.

use std::io::{Read, Write};
use std::time::Duration;

use mediaedge_emulator::{Emulator, Fault};

fn usage() -> ! {
    eprintln!(
        "usage: mediaedge-emulator [--port N] [--port-file PATH] [--quiet] [--until-stdin-closes] \
         [--latency-ms N] [--jitter-ms N] [--fault JSON]..."
    );
    std::process::exit(2);
}

fn millis(value: Option<String>) -> Duration {
    value.and_then(|v| v.parse().ok()).map(Duration::from_millis).unwrap_or_else(|| usage())
}

fn fault(value: Option<String>) -> Fault {
    let parsed = value
        .ok_or_else(|| "--fault needs a JSON object".to_string())
        .and_then(|text| serde_json::from_str(&text).map_err(|e| e.to_string()))
        .and_then(|v| Fault::from_json(&v));
    parsed.unwrap_or_else(|e| {
        eprintln!("mediaedge-emulator: --fault: {e}");
        std::process::exit(2);
    })
}

fn main() {
    let mut port = 0u16;
    let mut port_file = None;
    let mut quiet = false;
    let mut until_stdin_closes = false;
    let (mut latency, mut jitter) = (Duration::ZERO, Duration::ZERO);
    let mut faults = Vec::new();
    let mut args = std::env::args().skip(1);
    while let Some(arg) = args.next() {
        match arg.as_str() {
            "--port" => port = args.next().and_then(|v| v.parse().ok()).unwrap_or_else(|| usage()),
            "--port-file" => port_file = Some(args.next().unwrap_or_else(|| usage())),
            "--quiet" => quiet = true,
            "--until-stdin-closes" => until_stdin_closes = true,
            "--latency-ms" => latency = millis(args.next()),
            "--jitter-ms" => jitter = millis(args.next()),
            "--fault" => faults.push(fault(args.next())),
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
    emulator.set_latency(latency, jitter);
    for fault in faults {
        emulator.push_fault(fault);
    }
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
