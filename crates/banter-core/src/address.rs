//! What a user may type to join a host: `192.168.1.20`, `192.168.1.20:7878`, `[fe80::1]:7878`, `alice-laptop`
//! or a full `http://` URL.

use url::Url;

/// The port a host listens on unless told otherwise, and the one assumed when an address has none.
pub const DEFAULT_PORT: u16 = 7878;

/// Why an address cannot be used.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum AddressError {
    #[error("The address is empty.")]
    Empty,
    #[error("“{0}” is not an address: use a host name or IP, optionally with :port, or an http:// URL.")]
    Malformed(String),
    #[error("“{0}” URLs are not supported: use http:// (or https:// for a host behind TLS).")]
    UnsupportedScheme(String),
    #[error("The address has a path (“{0}”); give only the host and port.")]
    HasPath(String),
}

/// The base URL of a host (`http://host:port/`) from what the user typed.
pub fn parse_host_address(input: &str) -> Result<Url, AddressError> {
    let input = input.trim();
    if input.is_empty() {
        return Err(AddressError::Empty);
    }
    let with_scheme = if input.contains("://") { input.to_owned() } else { format!("http://{input}") };
    let mut url = Url::parse(&with_scheme).map_err(|_| AddressError::Malformed(input.to_owned()))?;
    match url.scheme() {
        "http" | "https" => {}
        other => return Err(AddressError::UnsupportedScheme(other.to_owned())),
    }
    if url.host_str().is_none_or(str::is_empty) {
        return Err(AddressError::Malformed(input.to_owned()));
    }
    // The Socket.IO path is fixed at /socket.io/; any other path is a mistake the user should hear about.
    if !matches!(url.path(), "" | "/" | "/socket.io" | "/socket.io/") {
        return Err(AddressError::HasPath(url.path().to_owned()));
    }
    if url.port().is_none() && !input.contains("://") {
        url.set_port(Some(DEFAULT_PORT)).map_err(|()| AddressError::Malformed(input.to_owned()))?;
    }
    url.set_path("/");
    url.set_query(None);
    url.set_fragment(None);
    Ok(url)
}

/// The hosts a client may connect to, from what the user typed: one address, or several separated by commas
/// (the hosts of one cluster, tried in turn).
pub fn parse_host_addresses(input: &str) -> Result<Vec<Url>, AddressError> {
    input
        .split(',')
        .filter(|part| !part.trim().is_empty())
        .map(parse_host_address)
        .collect::<Result<Vec<_>, _>>()
        .and_then(|urls| if urls.is_empty() { Err(AddressError::Empty) } else { Ok(urls) })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn several_addresses_are_the_hosts_of_one_cluster_in_turn() {
        let urls = parse_host_addresses("10.0.0.1, 10.0.0.2:9000,,http://h3:80").unwrap();
        let urls: Vec<String> = urls.iter().map(Url::to_string).collect();
        assert_eq!(urls, ["http://10.0.0.1:7878/", "http://10.0.0.2:9000/", "http://h3/"]);
        assert_eq!(parse_host_addresses(" , "), Err(AddressError::Empty));
        assert!(matches!(parse_host_addresses("10.0.0.1,ftp://x"), Err(AddressError::UnsupportedScheme(_))));
    }

    fn parsed(input: &str) -> String {
        parse_host_address(input).map(|url| url.to_string()).unwrap_or_else(|error| format!("error: {error}"))
    }

    #[test]
    fn bare_hosts_get_the_default_port() {
        assert_eq!(parsed("192.168.1.20"), "http://192.168.1.20:7878/");
        assert_eq!(parsed(" alice-laptop "), "http://alice-laptop:7878/");
        assert_eq!(parsed("[fe80::1]"), "http://[fe80::1]:7878/");
    }

    #[test]
    fn ports_and_urls_are_kept() {
        assert_eq!(parsed("192.168.1.20:9000"), "http://192.168.1.20:9000/");
        assert_eq!(parsed("http://10.0.0.5:3000"), "http://10.0.0.5:3000/");
        assert_eq!(parsed("http://10.0.0.5"), "http://10.0.0.5/");
        assert_eq!(parsed("https://chat.example.lan/socket.io/"), "https://chat.example.lan/");
    }

    #[test]
    fn bad_addresses_say_what_is_wrong() {
        assert_eq!(parse_host_address(""), Err(AddressError::Empty));
        assert!(matches!(parse_host_address("ftp://x"), Err(AddressError::UnsupportedScheme(_))));
        assert!(matches!(parse_host_address("host:99999"), Err(AddressError::Malformed(_))));
        assert!(matches!(parse_host_address("host/chat"), Err(AddressError::HasPath(_))));
        assert!(matches!(parse_host_address("http://"), Err(AddressError::Malformed(_))));
    }
}
