//! A TCP proxy on 127.0.0.1 that a test can cut and restore, like a cable pulled and plugged back in: while cut,
//! every connection through it is closed and new ones are closed as soon as they arrive.
#![allow(dead_code, clippy::unwrap_used)]

use std::net::{IpAddr, SocketAddr};

use tokio::net::{TcpListener, TcpSocket, TcpStream};
use tokio::sync::watch;

pub struct Proxy {
    pub address: SocketAddr,
    open: watch::Sender<bool>,
}

impl Proxy {
    /// Starts forwarding 127.0.0.1:(a free port) to `upstream`.
    pub async fn start(upstream: SocketAddr) -> Proxy {
        Proxy::start_from(upstream, None).await
    }

    /// Like [`Proxy::start`], with the connections to `upstream` made from `source` (another loopback address, such
    /// as 127.0.0.2), so that the host sees its clients as another machine.
    pub async fn start_from(upstream: SocketAddr, source: Option<IpAddr>) -> Proxy {
        let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
        let address = listener.local_addr().unwrap();
        let (open, is_open) = watch::channel(true);
        tokio::spawn(async move {
            while let Ok((inbound, _)) = listener.accept().await {
                if !*is_open.borrow() {
                    drop(inbound);
                    continue;
                }
                tokio::spawn(forward(inbound, upstream, source, is_open.clone()));
            }
        });
        Proxy { address, open }
    }

    /// Closes every connection through the proxy, and every new one until [`Proxy::restore`].
    pub fn cut(&self) {
        self.open.send_replace(false);
    }

    pub fn restore(&self) {
        self.open.send_replace(true);
    }
}

async fn connect(upstream: SocketAddr, source: Option<IpAddr>) -> std::io::Result<TcpStream> {
    let Some(source) = source else { return TcpStream::connect(upstream).await };
    let socket = if source.is_ipv4() { TcpSocket::new_v4()? } else { TcpSocket::new_v6()? };
    socket.bind(SocketAddr::new(source, 0))?;
    socket.connect(upstream).await
}

async fn forward(
    mut inbound: TcpStream,
    upstream: SocketAddr,
    source: Option<IpAddr>,
    mut is_open: watch::Receiver<bool>,
) {
    let Ok(mut outbound) = connect(upstream, source).await else { return };
    tokio::select! {
        _ = tokio::io::copy_bidirectional(&mut inbound, &mut outbound) => {}
        _ = is_open.wait_for(|open| !*open) => {}
    }
}
