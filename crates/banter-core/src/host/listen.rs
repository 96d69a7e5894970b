//! The accept loop: every TCP connection is counted by the [`Gate`] before any byte of it is read, and served by
//! hyper's HTTP/1 with the header limits of [`NetworkLimits`]. `axum::serve` exposes none of these settings,
//! which is why the host has its own loop.

use std::future::Future;
use std::io;
use std::net::SocketAddr;
use std::pin::{pin, Pin};
use std::sync::Arc;
use std::task::{Context, Poll};
use std::time::{Duration, Instant};

use axum::extract::ConnectInfo;
use axum::Router;
use hyper::body::Incoming;
use hyper_util::rt::{TokioIo, TokioTimer};
use hyper_util::service::TowerToHyperService;
use tokio::io::{AsyncRead, AsyncWrite, AsyncWriteExt, ReadBuf};
use tokio::net::{TcpListener, TcpStream};
use tower::ServiceExt;

use super::gate::{ConnectionPermit, Gate};
use crate::limits::{NetworkLimits, RESERVED_FILES};

/// Raises this process's open-file limit to its hard limit (the desktop default of 1,024 is reached by a few
/// hundred guests) and says what it now is.
pub fn raise_open_file_limit() -> u64 {
    match rlimit::increase_nofile_limit(u64::MAX) {
        Ok(limit) => limit,
        Err(error) => {
            tracing::warn!(%error, "could not raise the open-file limit");
            rlimit::getrlimit(rlimit::Resource::NOFILE).map_or(1024, |(soft, _)| soft)
        }
    }
}

/// The connections a host allows: its limit, kept below the open-file limit so that it can always open its
/// own files and accept (and answer) one more client.
pub fn connection_cap(limits: &NetworkLimits, open_files: u64) -> usize {
    let room = usize::try_from(open_files.saturating_sub(RESERVED_FILES)).unwrap_or(usize::MAX);
    limits.max_connections.min(room.max(1))
}

/// Serves `router` on `listener` until `stop` completes, then lets open requests finish (upgraded WebSockets
/// are closed by Socket.IO itself) and returns.
pub async fn serve(
    listener: TcpListener,
    router: Router,
    gate: Arc<Gate>,
    limits: NetworkLimits,
    stop: impl Future<Output = ()>,
) -> io::Result<()> {
    let mut http = hyper::server::conn::http1::Builder::new();
    http.timer(TokioTimer::new())
        .header_read_timeout(limits.header_read_timeout)
        .max_header_size(limits.max_header_bytes)
        .max_headers(limits.max_headers)
        // The read buffer bounds what one connection can make the host hold; hyper's minimum is 8 KiB.
        .max_buf_size(limits.max_header_bytes.max(8192));
    // Every connection task holds a receiver; the sender's `closed` says when the last one has ended.
    let (stopping, stopped) = tokio::sync::watch::channel(());
    let mut stop = pin!(stop);
    loop {
        let (stream, peer) = tokio::select! {
            accepted = listener.accept() => match accepted {
                Ok(accepted) => accepted,
                Err(error) => {
                    pause_after_accept_error(&error).await;
                    continue;
                }
            },
            () = &mut stop => break,
        };
        let permit = match gate.open_connection(peer.ip(), Instant::now()) {
            Ok(permit) => permit,
            Err(refusal) => {
                if let Some(unlogged) = gate.log_refusal(peer.ip(), Instant::now()) {
                    tracing::warn!(%peer, %refusal, unlogged, "refused a connection");
                }
                tokio::spawn(refuse(stream, refusal.to_string()));
                continue;
            }
        };
        if let Err(error) = stream.set_nodelay(true) {
            tracing::debug!(%error, "could not turn off Nagle's algorithm");
        }
        let service = router.clone().map_request(move |mut request: axum::http::Request<Incoming>| {
            request.extensions_mut().insert(ConnectInfo(peer));
            request
        });
        let connection =
            http.serve_connection(TokioIo::new(Counted { stream, _permit: permit }), TowerToHyperService::new(service));
        let mut stopped = stopped.clone();
        tokio::spawn(async move {
            let mut connection = pin!(connection.with_upgrades());
            let served = tokio::select! {
                served = connection.as_mut() => served,
                _ = stopped.changed() => {
                    connection.as_mut().graceful_shutdown();
                    connection.await
                }
            };
            if let Err(error) = served {
                tracing::debug!(%peer, %error, "connection ended with an error");
            }
            drop(stopped);
        });
    }
    drop(listener);
    drop(stopped);
    // Tells every connection to finish its request and close, then waits for them.
    stopping.send_replace(());
    stopping.closed().await;
    Ok(())
}

/// Answers a refused connection with a plain 503 that says why, without reading its request, and closes it.
async fn refuse(mut stream: TcpStream, why: String) {
    let response = format!(
        "HTTP/1.1 503 Service Unavailable\r\ncontent-type: text/plain; charset=utf-8\r\nx-content-type-options: \
         nosniff\r\nretry-after: 5\r\nconnection: close\r\ncontent-length: {}\r\n\r\n{why}",
        why.len()
    );
    // A client that does not read is not waited for.
    let _ = tokio::time::timeout(Duration::from_secs(2), stream.write_all(response.as_bytes())).await;
}

/// Accept errors that concern one connection (it was reset before it was accepted) are skipped. Others, chiefly
/// running out of file descriptors, would make the loop spin: it waits a little, as the kernel frees them.
async fn pause_after_accept_error(error: &io::Error) {
    use io::ErrorKind::{ConnectionAborted, ConnectionRefused, ConnectionReset};
    if matches!(error.kind(), ConnectionAborted | ConnectionRefused | ConnectionReset) {
        return;
    }
    tracing::warn!(%error, "could not accept a connection; pausing for 100 ms");
    tokio::time::sleep(Duration::from_millis(100)).await;
}

/// A TCP stream that keeps its connection counted for as long as it lives, including after an upgrade to
/// WebSocket, when hyper hands the stream over to Socket.IO.
#[derive(Debug)]
struct Counted {
    stream: TcpStream,
    _permit: ConnectionPermit,
}

impl AsyncRead for Counted {
    fn poll_read(mut self: Pin<&mut Self>, context: &mut Context<'_>, buf: &mut ReadBuf<'_>) -> Poll<io::Result<()>> {
        Pin::new(&mut self.stream).poll_read(context, buf)
    }
}

impl AsyncWrite for Counted {
    fn poll_write(mut self: Pin<&mut Self>, context: &mut Context<'_>, buf: &[u8]) -> Poll<io::Result<usize>> {
        Pin::new(&mut self.stream).poll_write(context, buf)
    }

    fn poll_write_vectored(
        mut self: Pin<&mut Self>,
        context: &mut Context<'_>,
        bufs: &[io::IoSlice<'_>],
    ) -> Poll<io::Result<usize>> {
        Pin::new(&mut self.stream).poll_write_vectored(context, bufs)
    }

    fn is_write_vectored(&self) -> bool {
        self.stream.is_write_vectored()
    }

    fn poll_flush(mut self: Pin<&mut Self>, context: &mut Context<'_>) -> Poll<io::Result<()>> {
        Pin::new(&mut self.stream).poll_flush(context)
    }

    fn poll_shutdown(mut self: Pin<&mut Self>, context: &mut Context<'_>) -> Poll<io::Result<()>> {
        Pin::new(&mut self.stream).poll_shutdown(context)
    }
}

/// The peer of a request served by [`serve`].
pub fn peer_of(extensions: &axum::http::Extensions) -> Option<SocketAddr> {
    extensions.get::<ConnectInfo<SocketAddr>>().map(|ConnectInfo(peer)| *peer)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn connections_stay_below_the_open_file_limit() {
        let limits = NetworkLimits::default();
        assert_eq!(connection_cap(&limits, 1024), 1024 - 128);
        assert_eq!(connection_cap(&limits, 1 << 20), limits.max_connections);
        assert_eq!(connection_cap(&limits, 10), 1);
    }
}
