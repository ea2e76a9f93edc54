//! The accept loop: plain TCP or TLS, HTTP/1.1 and HTTP/2, one task per connection, and the
//! per-connection kill switch the reset fault uses.

use axum::Router;
use axum::body::Body;
use hyper::body::Incoming;
use hyper_util::rt::{TokioExecutor, TokioIo};
use hyper_util::server::conn::auto;
use tokio::io::{AsyncRead, AsyncWrite};
use tokio::net::TcpListener;
use tokio_rustls::TlsAcceptor;
use tokio_util::sync::CancellationToken;
use tokio_util::task::TaskTracker;
use tower::ServiceExt;

use crate::middleware::ConnKill;

/// Accepts connections until `shutdown` fires, then returns once every connection is closed
/// (a client that sends on a kept-alive connection after the simulator's `shutdown` returned
/// must find it closed, not answered).
pub(crate) async fn serve(
    listener: TcpListener,
    app: Router,
    tls: Option<TlsAcceptor>,
    shutdown: CancellationToken,
) {
    let connections = TaskTracker::new();
    loop {
        let accepted = tokio::select! {
            () = shutdown.cancelled() => break,
            accepted = listener.accept() => accepted,
        };
        let Ok((stream, _peer)) = accepted else {
            continue;
        };
        let _ = stream.set_nodelay(true);
        let app = app.clone();
        let kill = shutdown.child_token();
        let tls = tls.clone();
        connections.spawn(async move {
            match tls {
                Some(acceptor) => {
                    let handshake = tokio::select! {
                        () = kill.cancelled() => return,
                        h = acceptor.accept(stream) => h,
                    };
                    if let Ok(stream) = handshake {
                        serve_connection(stream, app, kill).await;
                    }
                }
                None => serve_connection(stream, app, kill).await,
            }
        });
    }
    // Every connection task watches a child of `shutdown` and drops its socket when it fires.
    connections.close();
    connections.wait().await;
}

async fn serve_connection<S>(io: S, app: Router, kill: CancellationToken)
where
    S: AsyncRead + AsyncWrite + Unpin + Send + 'static,
{
    let conn_kill = kill.clone();
    let service = hyper::service::service_fn(move |req: hyper::Request<Incoming>| {
        let mut req = req.map(Body::new);
        req.extensions_mut().insert(ConnKill(conn_kill.clone()));
        app.clone().oneshot(req)
    });
    let builder = auto::Builder::new(TokioExecutor::new());
    let connection = builder.serve_connection_with_upgrades(TokioIo::new(io), service);
    tokio::select! {
        _ = connection => {}
        // Dropping the connection closes the socket without an answer.
        () = kill.cancelled() => {}
    }
}
