//! nginx on loopback for the differential tests (tests/route_nginx.rs,
//! tests/graph_nginx.rs): a free port, nginx started in the foreground
//! and stopped when dropped, and its answer to one request.
#![allow(dead_code)]

use std::io::{Read, Write};
use std::net::{IpAddr, SocketAddr, TcpListener, TcpStream};
use std::path::Path;
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

/// A port above 20000 free on 0.0.0.0 (and on [::1] with `v6_too`).
pub fn free_port(v6_too: bool) -> u16 {
    loop {
        let Ok(l) = TcpListener::bind("127.0.0.1:0") else {
            continue;
        };
        let Ok(a) = l.local_addr() else { continue };
        let p = a.port();
        drop(l);
        if p <= 20000 {
            continue;
        }
        let free = |addr: &str| TcpListener::bind(addr).is_ok();
        if free(&format!("0.0.0.0:{p}")) && (!v6_too || free(&format!("[::1]:{p}"))) {
            return p;
        }
    }
}

/// nginx running in the foreground; killed when dropped.
pub struct Nginx(Child);

impl Drop for Nginx {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

pub fn start(nginx: &Path, dir: &Path, port: u16) -> Nginx {
    let child = Command::new(nginx)
        .arg("-p")
        .arg(dir)
        .arg("-c")
        .arg(dir.join("nginx.conf"))
        .args(["-g", "daemon off;"])
        .stdout(Stdio::null())
        .stderr(Stdio::piped())
        .spawn()
        .expect("start nginx");
    let n = Nginx(child);
    let t0 = Instant::now();
    while TcpStream::connect(("127.0.0.1", port)).is_err() {
        assert!(
            t0.elapsed() < Duration::from_secs(10),
            "nginx did not start: {}",
            std::fs::read_to_string(dir.join("error.log")).unwrap_or_default()
        );
        std::thread::sleep(Duration::from_millis(20));
    }
    n
}

/// nginx's answer: the body of a 200, else the status; "refused".
pub fn ask(ip: IpAddr, port: u16, host: Option<&str>, path: &str) -> String {
    let Ok(mut s) = TcpStream::connect_timeout(&SocketAddr::new(ip, port), Duration::from_secs(2))
    else {
        return "refused".into();
    };
    let req = match host {
        Some(h) => format!("GET {path} HTTP/1.1\r\nHost: {h}\r\nConnection: close\r\n\r\n"),
        None => format!("GET {path} HTTP/1.0\r\n\r\n"),
    };
    let _ = s.set_read_timeout(Some(Duration::from_secs(5)));
    if s.write_all(req.as_bytes()).is_err() {
        return "write failed".into();
    }
    let mut buf = Vec::new();
    let _ = s.read_to_end(&mut buf);
    let text = String::from_utf8_lossy(&buf);
    let status = text.split(' ').nth(1).unwrap_or("").to_string();
    // `return 200 "marker"` answers text/plain (no `types` here), and so
    // does an `error_page` to the named location that returns one (with
    // the error's status); nginx's own error pages are text/html.
    match text.split_once("\r\n\r\n") {
        Some((head, body)) if head.contains("Content-Type: text/plain") => body.to_string(),
        _ => status,
    }
}
