//! `--live`: what is really listening on this machine, read from the kernel
//! without connecting to anything: unix sockets from the file system
//! (exists, is a socket, owner/mode), TCP listeners from /proc/net/tcp{,6}.

use std::collections::HashSet;
use std::net::{IpAddr, Ipv4Addr, Ipv6Addr};
use std::path::Path;

use crate::address::{Endpoint, Host};

/// TCP state LISTEN in /proc/net/tcp (include/net/tcp_states.h: TCP_LISTEN = 10).
const TCP_LISTEN: &str = "0A";

#[derive(Debug, Default)]
pub struct Live {
    /// (address, port) of every listening TCP socket; unspecified addresses
    /// mean every address.
    tcp: HashSet<(IpAddr, u16)>,
}

impl Live {
    /// Read the machine's listening sockets (an unreadable /proc gives an
    /// empty table: nothing is claimed live then).
    pub fn read() -> Live {
        let mut l = Live::default();
        for (path, v6) in [("/proc/net/tcp", false), ("/proc/net/tcp6", true)] {
            if let Ok(text) = std::fs::read_to_string(path) {
                l.tcp.extend(parse_proc_net_tcp(&text, v6));
            }
        }
        l
    }

    /// Whether something listens on `ep` right now.
    pub fn listening(&self, ep: &Endpoint) -> bool {
        match ep {
            Endpoint::Unix(p) => is_socket(p),
            Endpoint::Tcp(host, port) => {
                let any4 = (IpAddr::V4(Ipv4Addr::UNSPECIFIED), *port);
                let any6 = (IpAddr::V6(Ipv6Addr::UNSPECIFIED), *port);
                if self.tcp.contains(&any4) || self.tcp.contains(&any6) {
                    return true;
                }
                match host {
                    Host::Ip(ip) => self.tcp.contains(&(*ip, *port)),
                    Host::Any => self.tcp.iter().any(|(_, p)| p == port),
                    Host::Name(_) => false,
                }
            }
        }
    }
}

fn is_socket(p: &Path) -> bool {
    use std::os::unix::fs::FileTypeExt;
    std::fs::metadata(p).is_ok_and(|m| m.file_type().is_socket())
}

/// Parse /proc/net/tcp{,6}: `sl local_address rem_address st …` with
/// addresses as hex (IPv4: one little-endian u32; IPv6: four of them) and
/// the port as big-endian hex.
pub fn parse_proc_net_tcp(text: &str, v6: bool) -> Vec<(IpAddr, u16)> {
    let mut out = Vec::new();
    for line in text.lines().skip(1) {
        let cols: Vec<&str> = line.split_whitespace().collect();
        if cols.len() < 4 || cols[3] != TCP_LISTEN {
            continue;
        }
        let Some((addr, port)) = cols[1].split_once(':') else {
            continue;
        };
        let Ok(port) = u16::from_str_radix(port, 16) else {
            continue;
        };
        let ip = if v6 { parse_v6(addr) } else { parse_v4(addr) };
        if let Some(ip) = ip {
            out.push((ip, port));
        }
    }
    out
}

fn parse_v4(hex: &str) -> Option<IpAddr> {
    let n = u32::from_str_radix(hex, 16).ok()?;
    Some(IpAddr::V4(Ipv4Addr::from(n.swap_bytes())))
}

fn parse_v6(hex: &str) -> Option<IpAddr> {
    if hex.len() != 32 {
        return None;
    }
    let mut bytes = [0u8; 16];
    for (i, chunk) in (0..4).map(|i| &hex[i * 8..i * 8 + 8]).enumerate() {
        let word = u32::from_str_radix(chunk, 16).ok()?.swap_bytes();
        bytes[i * 4..i * 4 + 4].copy_from_slice(&word.to_be_bytes());
    }
    let ip = Ipv6Addr::from(bytes);
    // IPv4-mapped listeners behave like their IPv4 address.
    Some(match ip.to_ipv4_mapped() {
        Some(v4) => IpAddr::V4(v4),
        None => IpAddr::V6(ip),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn proc_net_tcp() {
        let v4 = "  sl  local_address rem_address   st tx_queue rx_queue tr tm->when retrnsmt   uid  timeout inode\n   0: 0100007F:1F90 00000000:0000 0A 00000000:00000000 00:00000000 00000000     0        0 1 1\n   1: 00000000:0050 00000000:0000 0A 0 0 0 0 0 0\n   2: 0100007F:0BB8 0100007F:D2F0 01 0 0 0 0 0 0\n";
        let got = parse_proc_net_tcp(v4, false);
        assert_eq!(
            got,
            vec![
                (IpAddr::V4(Ipv4Addr::LOCALHOST), 8080),
                (IpAddr::V4(Ipv4Addr::UNSPECIFIED), 80)
            ]
        );
        let v6 = "  sl  local_address                         remote_address                        st\n   0: 00000000000000000000000000000000:1F40 00000000000000000000000000000000:0000 0A\n   1: 00000000000000000000000001000000:0050 00000000000000000000000000000000:0000 0A\n";
        let got = parse_proc_net_tcp(v6, true);
        assert_eq!(got[0], (IpAddr::V6(Ipv6Addr::UNSPECIFIED), 8000));
        assert_eq!(got[1], (IpAddr::V6(Ipv6Addr::LOCALHOST), 80));
    }

    #[test]
    fn live_listening_on_this_machine() {
        // A real listener on loopback, seen through /proc/net/tcp.
        let sock = std::net::TcpListener::bind("127.0.0.1:0").expect("bind loopback");
        let port = sock.local_addr().map(|a| a.port()).unwrap_or(0);
        let live = Live::read();
        assert!(live.listening(&Endpoint::Tcp(
            Host::Ip(IpAddr::V4(Ipv4Addr::LOCALHOST)),
            port
        )));
        drop(sock);
        let dir = tempfile::tempdir().expect("tempdir");
        let path = dir.path().join("s.sock");
        let _l = std::os::unix::net::UnixListener::bind(&path).expect("bind unix");
        assert!(live.listening(&Endpoint::Unix(path.into())));
        assert!(!live.listening(&Endpoint::Unix(dir.path().join("none.sock").into())));
    }
}
