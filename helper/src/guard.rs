//! Who may talk to the helper's API. Any web page the user visits can send requests to
//! 127.0.0.1, and a DNS-rebinding page can even make them same-origin; the helper runs programs,
//! so every `/api/` request must pass three checks before anything else happens:
//!
//! - `Host` names the helper itself (`127.0.0.1:PORT` or `localhost:PORT`): a rebinding attack
//!   arrives with the attacker's host name.
//! - `Origin`, when present (browsers always send it on cross-origin and POST requests), is the
//!   helper's own origin or one given with `--allow-origin`. There is no CORS wildcard.
//! - The `X-Buildlab-Token` header equals the random token printed at start (in the URL's
//!   fragment, which browsers never send to servers), compared in constant time.
//!
//! The static page itself is served without the token: it holds no secrets and must load first.

use std::fmt;

pub const TOKEN_HEADER: &str = "x-buildlab-token";

/// The guard's configuration, fixed at start.
#[derive(Clone, Debug)]
pub struct Guard {
    pub port: u16,
    pub token: String,
    /// Extra origins allowed besides the helper's own (`--allow-origin`), exact strings.
    pub allowed_origins: Vec<String>,
}

/// Why a request was refused; each maps to one status code.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Refusal {
    BadHost(String),
    ForeignOrigin(String),
    NoToken,
    WrongToken,
}

impl Refusal {
    pub fn status(&self) -> u16 {
        match self {
            Refusal::BadHost(_) => 421, // Misdirected Request: not the host this server answers for
            Refusal::ForeignOrigin(_) => 403,
            Refusal::NoToken | Refusal::WrongToken => 401,
        }
    }
}

impl fmt::Display for Refusal {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Refusal::BadHost(h) => write!(f, "refused: Host {h:?} is not this helper (expected 127.0.0.1 or localhost with its port)"),
            Refusal::ForeignOrigin(o) => write!(f, "refused: Origin {o:?} may not use this helper (start it with --allow-origin to permit one)"),
            Refusal::NoToken => write!(f, "refused: the {TOKEN_HEADER} header is missing (open the URL the helper printed)"),
            Refusal::WrongToken => write!(f, "refused: wrong {TOKEN_HEADER} (the helper prints a new token each start)"),
        }
    }
}

impl Guard {
    fn own_hosts(&self) -> [String; 2] {
        [format!("127.0.0.1:{}", self.port), format!("localhost:{}", self.port)]
    }

    /// Checks one API request's `Host`, `Origin` and token headers (each `None` when absent or
    /// not valid UTF-8).
    pub fn check(&self, host: Option<&str>, origin: Option<&str>, token: Option<&str>) -> Result<(), Refusal> {
        let host = host.unwrap_or("");
        if !self.own_hosts().iter().any(|h| h.eq_ignore_ascii_case(host)) {
            return Err(Refusal::BadHost(host.to_string()));
        }
        if let Some(origin) = origin {
            let own = self.own_hosts().map(|h| format!("http://{h}"));
            if !own.iter().any(|o| o == origin) && !self.allowed_origins.iter().any(|o| o == origin) {
                return Err(Refusal::ForeignOrigin(origin.to_string()));
            }
        }
        match token {
            None => Err(Refusal::NoToken),
            Some(t) if constant_time_eq(t.as_bytes(), self.token.as_bytes()) => Ok(()),
            Some(_) => Err(Refusal::WrongToken),
        }
    }
}

fn constant_time_eq(a: &[u8], b: &[u8]) -> bool {
    if a.len() != b.len() {
        return false;
    }
    a.iter().zip(b).fold(0u8, |acc, (x, y)| acc | (x ^ y)) == 0
}

/// A fresh 256-bit token, hex, from the operating system's random source.
pub fn new_token() -> std::io::Result<String> {
    use std::io::Read;
    let mut bytes = [0u8; 32];
    std::fs::File::open("/dev/urandom")?.read_exact(&mut bytes)?;
    Ok(bytes.iter().map(|b| format!("{b:02x}")).collect())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn guard() -> Guard {
        Guard { port: 8600, token: "t0ken".into(), allowed_origins: vec!["https://tutorial.example".into()] }
    }

    #[test]
    fn own_host_origin_and_token_pass() {
        let g = guard();
        assert_eq!(g.check(Some("127.0.0.1:8600"), Some("http://127.0.0.1:8600"), Some("t0ken")), Ok(()));
        assert_eq!(g.check(Some("localhost:8600"), None, Some("t0ken")), Ok(()));
        assert_eq!(g.check(Some("127.0.0.1:8600"), Some("https://tutorial.example"), Some("t0ken")), Ok(()));
    }

    #[test]
    fn refusals() {
        let g = guard();
        let cases = [
            (Some("evil.example:8600"), None, Some("t0ken"), 421),
            (Some("127.0.0.1:9999"), None, Some("t0ken"), 421),
            (None, None, Some("t0ken"), 421),
            (Some("127.0.0.1:8600"), Some("http://evil.example"), Some("t0ken"), 403),
            (Some("127.0.0.1:8600"), Some("null"), Some("t0ken"), 403),
            (Some("127.0.0.1:8600"), Some("http://127.0.0.1:8600.evil.example"), Some("t0ken"), 403),
            (Some("127.0.0.1:8600"), None, None, 401),
            (Some("127.0.0.1:8600"), None, Some("t0ke"), 401),
            (Some("127.0.0.1:8600"), None, Some(""), 401),
        ];
        for (host, origin, token, status) in cases {
            let r = g.check(host, origin, token).unwrap_err();
            assert_eq!(r.status(), status, "{host:?} {origin:?} {token:?}: {r}");
        }
    }

    #[test]
    fn tokens_are_random_and_long() {
        let (a, b) = (new_token().unwrap(), new_token().unwrap());
        assert_eq!(a.len(), 64);
        assert_ne!(a, b);
    }
}
