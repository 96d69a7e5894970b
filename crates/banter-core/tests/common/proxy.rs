//! A TCP proxy on 127.0.0.1 that a test can cut and restore, like a cable pulled and plugged back in: while cut,
//! every connection through it is closed and new ones are closed as soon as they arrive.
#![allow(dead_code, clippy::unwrap_used)]

use std::net::SocketAddr;

use tokio::net::{TcpListener, TcpStream};
use tokio::sync::watch;

pub struct Proxy {
    pub address: SocketAddr,
    open: watch::Sender<bool>,
}

impl Proxy {
    /// Starts forwarding 127.0.0.1:(a free port) to `upstream`.
    pub async fn start(upstream: SocketAddr) -> Proxy {
        let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
        let address = listener.local_addr().unwrap();
        let (open, is_open) = watch::channel(true);
        tokio::spawn(async move {
            while let Ok((inbound, _)) = listener.accept().await {
                if !*is_open.borrow() {
                    drop(inbound);
                    continue;
                }
                tokio::spawn(forward(inbound, upstream, is_open.clone()));
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

async fn forward(mut inbound: TcpStream, upstream: SocketAddr, mut is_open: watch::Receiver<bool>) {
    let Ok(mut outbound) = TcpStream::connect(upstream).await else { return };
    tokio::select! {
        _ = tokio::io::copy_bidirectional(&mut inbound, &mut outbound) => {}
        _ = is_open.wait_for(|open| !*open) => {}
    }
}
