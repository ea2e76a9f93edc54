//! The stdio transport: newline-delimited JSON on any byte stream; stdout carries only
//! protocol messages (logging goes through `tracing`, whose output is the binary's choice).

use std::future::Future;
use std::sync::Arc;

use tokio::io::{AsyncRead, AsyncWrite, AsyncWriteExt, BufReader};
use tokio::sync::mpsc;
use tokio::task::JoinSet;
use tokio_util::sync::CancellationToken;

use crate::error::TransportError;
use crate::jsonrpc::{ErrorObject, Incoming, Line, LineReader, Message, ResponseError, decode};
use crate::notify::ServerEvent;
use crate::server::Server;
use crate::session::{Session, Sink};
use crate::version::ProtocolVersion;

/// Serves on this process's stdin/stdout until stdin ends, SIGINT or SIGTERM.
///
/// On Unix, a stdin or stdout that is a pipe or a Unix socket is read or written on the
/// runtime itself (non-blocking, woken by the reactor): a call then costs no thread
/// hand-off. Anything else (a terminal, a file, `/dev/null`) is read or written on a plain
/// thread. Each of the two is decided on its own. The runtime needs its I/O driver
/// (`enable_io` or `enable_all`), as the shutdown signals do.
///
/// Non-blocking mode belongs to the open file, which the parent process and its other
/// children may share, so the original mode is put back when serving ends. A stream that
/// is also this process's stderr stays on a thread: stderr must not turn non-blocking.
/// The process's file descriptors 0 and 1 are duplicated, never taken over or closed.
///
/// Ends with an error if writing fails (the client stopped reading); serving stops then.
pub async fn serve_stdio(server: Server) -> Result<(), TransportError> {
    let (tx, rx) = mpsc::unbounded_channel::<Vec<u8>>();
    // Anything written to stdout through `std` before serving goes out first.
    let _ = std::io::Write::flush(&mut std::io::stdout());
    #[cfg(unix)]
    {
        let streams = fds::Streams::open();
        let restore = Arc::new(streams.restore);
        let written: Written = match streams.output {
            Some(writer) => {
                let restore = Arc::clone(&restore);
                let task = tokio::spawn(async move {
                    // The stream is gone (dropped by `write_loop`) before the flags are
                    // put back, so the runtime never writes to a blocking descriptor.
                    let result = write_loop(writer, rx, false).await;
                    drop(restore);
                    result
                });
                Box::pin(async move { task.await.unwrap_or(Ok(())) })
            }
            None => Box::pin(stdout_writer(rx)?),
        };
        let reader = match streams.input {
            Some(reader) => reader,
            None => Box::new(stdin_reader()),
        };
        let served = serve_with(server, reader, tx, written, shutdown_signal()).await;
        drop(restore);
        served
    }
    #[cfg(not(unix))]
    {
        let written = stdout_writer(rx)?;
        serve_with(server, stdin_reader(), tx, written, shutdown_signal()).await
    }
}

/// Resolves once every message sent to the writer is written.
#[cfg(unix)]
type Written = std::pin::Pin<Box<dyn Future<Output = Result<(), TransportError>> + Send>>;

/// The byte streams stdin and stdout can be on the runtime.
#[cfg(unix)]
mod fds {
    use std::os::fd::{AsFd, BorrowedFd, OwnedFd};

    use rustix::fs::{FileType, OFlags, Stat, fcntl_getfl, fcntl_setfl, fstat};
    use tokio::io::{AsyncRead, AsyncWrite};
    use tokio::net::UnixStream;
    use tokio::net::unix::pipe;

    /// A reader of stdin on the runtime.
    pub(super) type Reader = Box<dyn AsyncRead + Unpin + Send>;
    /// A writer of stdout on the runtime.
    pub(super) type Writer = Box<dyn AsyncWrite + Unpin + Send>;

    /// Stdin and stdout as runtime streams where they can be (`None`: use a thread), and
    /// the original modes to put back.
    pub(super) struct Streams {
        pub(super) input: Option<Reader>,
        pub(super) output: Option<Writer>,
        pub(super) restore: Restore,
    }

    impl Streams {
        pub(super) fn open() -> Streams {
            let stdin = std::io::stdin();
            let stdout = std::io::stdout();
            let stderr = std::io::stderr();
            let stderr = fstat(stderr.as_fd()).ok();
            // Both probed before either changes: fds 0 and 1 may be one open file (a
            // socket a client passes as both), whose mode the first change would alter.
            let input = Probe::of(stdin.as_fd(), stderr.as_ref());
            let output = Probe::of(stdout.as_fd(), stderr.as_ref());
            let mut restore = Restore { saved: Vec::new() };
            let input = input.and_then(|p| p.reader(&mut restore));
            let output = output.and_then(|p| p.writer(&mut restore));
            Streams {
                input,
                output,
                restore,
            }
        }
    }

    #[derive(Clone, Copy, PartialEq, Eq)]
    enum Kind {
        Pipe,
        Socket,
    }

    /// A pipe or socket on fd 0 or 1 and its mode before serving.
    struct Probe {
        kind: Kind,
        fd: OwnedFd,
        nonblocking: bool,
    }

    impl Probe {
        /// `None` for anything but a pipe or socket, and for the stream stderr is on.
        fn of(fd: BorrowedFd<'_>, stderr: Option<&Stat>) -> Option<Probe> {
            let stat = fstat(fd).ok()?;
            let kind = match FileType::from_raw_mode(stat.st_mode) {
                FileType::Fifo => Kind::Pipe,
                FileType::Socket => Kind::Socket,
                _ => return None,
            };
            if stderr.is_some_and(|e| (e.st_dev, e.st_ino) == (stat.st_dev, stat.st_ino)) {
                return None;
            }
            let nonblocking = fcntl_getfl(fd).ok()?.contains(OFlags::NONBLOCK);
            let fd = fd.try_clone_to_owned().ok()?;
            Some(Probe {
                kind,
                fd,
                nonblocking,
            })
        }

        fn reader(self, restore: &mut Restore) -> Option<Reader> {
            let fd = self.prepare(restore)?;
            let reader: Reader = match self.kind {
                Kind::Pipe => Box::new(pipe::Receiver::from_owned_fd(fd).ok()?),
                Kind::Socket => Box::new(unix_stream(fd)?),
            };
            Some(reader)
        }

        fn writer(self, restore: &mut Restore) -> Option<Writer> {
            let fd = self.prepare(restore)?;
            let writer: Writer = match self.kind {
                Kind::Pipe => Box::new(pipe::Sender::from_owned_fd(fd).ok()?),
                Kind::Socket => Box::new(unix_stream(fd)?),
            };
            Some(writer)
        }

        /// Notes the original mode (before anything can change it) and returns the
        /// descriptor to serve on.
        fn prepare(&self, restore: &mut Restore) -> Option<OwnedFd> {
            let kept = self.fd.try_clone().ok()?;
            restore.saved.push((kept, self.nonblocking));
            self.fd.try_clone().ok()
        }
    }

    /// A Unix stream socket (not, say, TCP: `local_addr` checks the address family).
    fn unix_stream(fd: OwnedFd) -> Option<UnixStream> {
        let std = std::os::unix::net::UnixStream::from(fd);
        std.local_addr().ok()?;
        std.set_nonblocking(true).ok()?;
        UnixStream::from_std(std).ok()
    }

    /// Puts back the original blocking or non-blocking mode of the open files served on.
    pub(super) struct Restore {
        saved: Vec<(OwnedFd, bool)>,
    }

    impl Drop for Restore {
        fn drop(&mut self) {
            for (fd, nonblocking) in &self.saved {
                let Ok(flags) = fcntl_getfl(fd) else { continue };
                let mut wanted = flags;
                wanted.set(OFlags::NONBLOCK, *nonblocking);
                if wanted != flags {
                    let _ = fcntl_setfl(fd, wanted);
                }
            }
        }
    }
}

/// Stdout written on a plain thread. Tokio's `Stdout` hands every write and every flush
/// to its blocking pool, two thread hand-offs per message; here one wake-up of the
/// waiting thread carries every message ready by then. Resolves when the thread has
/// written everything sent before the channel closed.
fn stdout_writer(
    mut rx: mpsc::UnboundedReceiver<Vec<u8>>,
) -> Result<impl Future<Output = Result<(), TransportError>> + Send + 'static, TransportError> {
    let (done_tx, done_rx) = tokio::sync::oneshot::channel();
    std::thread::Builder::new()
        .name("mcp-stdout".into())
        .spawn(move || {
            use std::io::Write;
            let stdout = std::io::stdout();
            let mut buf = Vec::new();
            let mut result = Ok(());
            while let Some(first) = rx.blocking_recv() {
                gather(&mut buf, &first, &mut rx);
                let mut out = stdout.lock();
                if let Err(e) = out.write_all(&buf).and_then(|()| out.flush()) {
                    result = Err(write_error(e));
                    break;
                }
            }
            let _ = done_tx.send(result);
        })
        .map_err(|source| TransportError::Io {
            context: "starting the stdout writer thread".into(),
            source,
        })?;
    Ok(async move { done_rx.await.unwrap_or(Ok(())) })
}

fn write_error(source: std::io::Error) -> TransportError {
    TransportError::Io {
        context: "writing to the output stream".into(),
        source,
    }
}

/// Stdin read on a plain thread rather than Tokio's blocking pool: a read blocked on a
/// silent client cannot be interrupted, and a pool thread would keep the runtime from
/// shutting down after a signal. A plain thread ends with the process.
fn stdin_reader() -> impl AsyncRead + Unpin + Send + 'static {
    let (tx, rx) = mpsc::channel::<std::io::Result<bytes::Bytes>>(8);
    let spawned = std::thread::Builder::new()
        .name("mcp-stdin".into())
        .spawn(move || {
            use std::io::Read;
            let mut stdin = std::io::stdin().lock();
            let mut buf = vec![0u8; 64 * 1024];
            loop {
                match stdin.read(&mut buf) {
                    Ok(0) => return,
                    Ok(n) => {
                        let chunk = bytes::Bytes::copy_from_slice(buf.get(..n).unwrap_or_default());
                        if tx.blocking_send(Ok(chunk)).is_err() {
                            return;
                        }
                    }
                    Err(e) if e.kind() == std::io::ErrorKind::Interrupted => {}
                    Err(e) => {
                        let _ = tx.blocking_send(Err(e));
                        return;
                    }
                }
            }
        });
    if let Err(e) = spawned {
        tracing::error!(error = %e, "cannot start the stdin reader thread");
    }
    let chunks =
        futures_util::stream::unfold(rx, |mut rx| async move { rx.recv().await.map(|c| (c, rx)) });
    tokio_util::io::StreamReader::new(Box::pin(chunks))
}

/// Resolves on SIGINT or (on Unix) SIGTERM.
pub async fn shutdown_signal() {
    #[cfg(unix)]
    {
        use tokio::signal::unix::{SignalKind, signal};
        match signal(SignalKind::terminate()) {
            Ok(mut term) => {
                tokio::select! {
                    _ = tokio::signal::ctrl_c() => {}
                    _ = term.recv() => {}
                }
            }
            Err(_) => {
                let _ = tokio::signal::ctrl_c().await;
            }
        }
    }
    #[cfg(not(unix))]
    {
        let _ = tokio::signal::ctrl_c().await;
    }
}

/// Serves one client over a reader/writer pair (stdio, a pipe, `tokio::io::duplex`).
/// Returns when the input ends (in-flight requests get `shutdown_grace` to finish) or
/// when `shutdown` resolves (in-flight requests are cancelled).
pub async fn serve_stream<R, W, S>(
    server: Server,
    reader: R,
    writer: W,
    shutdown: S,
) -> Result<(), TransportError>
where
    R: AsyncRead + Unpin + Send + 'static,
    W: AsyncWrite + Unpin + Send + 'static,
    S: Future<Output = ()> + Send,
{
    let (tx, rx) = mpsc::unbounded_channel::<Vec<u8>>();
    let writer_task = tokio::spawn(write_loop(writer, rx, true));
    let written = async move { writer_task.await.unwrap_or(Ok(())) };
    serve_with(server, reader, tx, written, shutdown).await
}

/// The serving loop; every outgoing message goes to `tx`, and `written` resolves once
/// the writer has written all of them (after `tx` and its clones are gone). A writer that
/// fails drops its receiver, which ends serving: nobody reads the answers any more.
async fn serve_with<R, S>(
    server: Server,
    reader: R,
    tx: Sink,
    written: impl Future<Output = Result<(), TransportError>>,
    shutdown: S,
) -> Result<(), TransportError>
where
    R: AsyncRead + Unpin + Send + 'static,
    S: Future<Output = ()> + Send,
{
    let session = Arc::new(Session::new("stdio".into()));
    session.set_standalone(Some(tx.clone()));
    let events_task = tokio::spawn(forward_events(
        server.clone(),
        Arc::clone(&session),
        tx.clone(),
    ));
    let mut lines = LineReader::new(BufReader::new(reader), server.config().max_message_bytes);
    let mut tasks = JoinSet::new();
    let root = CancellationToken::new();
    tokio::pin!(shutdown);
    let mut interrupted = false;
    loop {
        while tasks.try_join_next().is_some() {}
        let line = tokio::select! {
            () = &mut shutdown => { interrupted = true; break; }
            () = tx.closed() => { interrupted = true; break; }
            l = lines.next_line() => l,
        };
        let line = match line {
            Ok(l) => l,
            Err(e) => {
                tracing::warn!(error = %e, "stdin read failed");
                break;
            }
        };
        let bytes = match line {
            Line::Eof => break,
            Line::TooLong => {
                send_error(
                    &tx,
                    ErrorObject::invalid_request("Invalid Request: message exceeds the size limit"),
                );
                continue;
            }
            Line::Data(b) => b,
        };
        if bytes.iter().all(u8::is_ascii_whitespace) {
            continue;
        }
        match decode(&bytes) {
            Err(e) => {
                let _ = tx.send(Message::Error(e).encode());
            }
            Ok(Incoming::Single(msg)) => dispatch(&server, &session, msg, &tx, &mut tasks, &root),
            Ok(Incoming::Batch(items)) => {
                let version = session
                    .state()
                    .version
                    .unwrap_or(ProtocolVersion::LATEST_LEGACY);
                if !version.allows_batches() {
                    send_error(
                        &tx,
                        ErrorObject::invalid_request(format!(
                            "Invalid Request: JSON-RPC batches are not allowed in protocol version {version}"
                        )),
                    );
                    continue;
                }
                let server = server.clone();
                let session = Arc::clone(&session);
                let tx2 = tx.clone();
                let token = root.child_token();
                tasks.spawn(async move {
                    let replies = run_batch(&server, &session, items, &tx2, &token).await;
                    if !replies.is_empty() {
                        let _ = tx2.send(json_array(&replies));
                    }
                });
            }
        }
    }
    if interrupted {
        root.cancel();
        session.cancel_all();
    }
    let grace = server.config().shutdown_grace;
    if tokio::time::timeout(grace, async { while tasks.join_next().await.is_some() {} })
        .await
        .is_err()
    {
        root.cancel();
        session.cancel_all();
        while tasks.join_next().await.is_some() {}
    }
    events_task.abort();
    session.set_standalone(None);
    drop(tx);
    written.await
}

fn send_error(tx: &Sink, error: ErrorObject) {
    let _ = tx.send(Message::Error(ResponseError { id: None, error }).encode());
}

fn dispatch(
    server: &Server,
    session: &Arc<Session>,
    msg: Message,
    tx: &Sink,
    tasks: &mut JoinSet<()>,
    root: &CancellationToken,
) {
    match msg {
        Message::Request(req) => {
            let server = server.clone();
            let session = Arc::clone(session);
            let tx = tx.clone();
            let token = root.child_token();
            tasks.spawn(async move {
                if let Some(reply) = server
                    .handle_request(Some(session), req, tx.clone(), None, token)
                    .await
                {
                    let _ = tx.send(reply.body);
                }
            });
        }
        Message::Notification(n) => server.handle_notification(session, &n),
        other => server.handle_response(session, other),
    }
}

async fn run_batch(
    server: &Server,
    session: &Arc<Session>,
    items: Vec<Result<Message, ResponseError>>,
    tx: &Sink,
    root: &CancellationToken,
) -> Vec<Vec<u8>> {
    let mut replies = Vec::new();
    let mut running = JoinSet::new();
    for (index, item) in items.into_iter().enumerate() {
        match item {
            Err(e) => replies.push((index, Message::Error(e).encode())),
            Ok(Message::Request(req)) => {
                let server = server.clone();
                let session = Arc::clone(session);
                let tx = tx.clone();
                let token = root.child_token();
                running.spawn(async move {
                    let reply = server
                        .handle_request(Some(session), req, tx, None, token)
                        .await;
                    (index, reply.map(|r| r.body))
                });
            }
            Ok(Message::Notification(n)) => server.handle_notification(session, &n),
            Ok(other) => server.handle_response(session, other),
        }
    }
    while let Some(done) = running.join_next().await {
        if let Ok((index, Some(v))) = done {
            replies.push((index, v));
        }
    }
    replies.sort_by_key(|(i, _)| *i);
    replies.into_iter().map(|(_, v)| v).collect()
}

/// Writes each message as one line. Messages that are already waiting go out together
/// in one write and one flush. With `close`, the writer is shut down at the end (for
/// this process's own stdout it is not: a socket would be half-closed for everyone).
async fn write_loop<W: AsyncWrite + Unpin>(
    mut writer: W,
    mut rx: mpsc::UnboundedReceiver<Vec<u8>>,
    close: bool,
) -> Result<(), TransportError> {
    let mut buf = Vec::new();
    while let Some(first) = rx.recv().await {
        gather(&mut buf, &first, &mut rx);
        writer.write_all(&buf).await.map_err(write_error)?;
        writer.flush().await.map_err(write_error)?;
    }
    if close {
        writer.shutdown().await.map_err(write_error)?;
    }
    Ok(())
}

/// Fills `buf` with `first` and the messages already waiting, one per line, up to about
/// [`WRITE_BATCH_BYTES`].
fn gather(buf: &mut Vec<u8>, first: &[u8], rx: &mut mpsc::UnboundedReceiver<Vec<u8>>) {
    if buf.capacity() > 4 * WRITE_BATCH_BYTES {
        *buf = Vec::new();
    }
    buf.clear();
    buf.extend_from_slice(first);
    buf.push(b'\n');
    while buf.len() < WRITE_BATCH_BYTES
        && let Ok(more) = rx.try_recv()
    {
        buf.extend_from_slice(&more);
        buf.push(b'\n');
    }
}

/// Above this many bytes the writer stops gathering waiting messages and writes.
const WRITE_BATCH_BYTES: usize = 64 * 1024;

/// Encoded messages as one JSON array.
pub(crate) fn json_array(items: &[Vec<u8>]) -> Vec<u8> {
    let len = items.iter().map(|i| i.len() + 1).sum::<usize>() + 1;
    let mut out = Vec::with_capacity(len);
    out.push(b'[');
    for (i, item) in items.iter().enumerate() {
        if i > 0 {
            out.push(b',');
        }
        out.extend_from_slice(item);
    }
    out.push(b']');
    out
}

/// Forwards list-changed and resource-updated events to an initialized legacy session.
pub(crate) async fn forward_events(server: Server, session: Arc<Session>, tx: Sink) {
    let mut rx = server.notifier().subscribe();
    loop {
        let event = match rx.recv().await {
            Ok(e) => e,
            Err(tokio::sync::broadcast::error::RecvError::Lagged(_)) => continue,
            Err(tokio::sync::broadcast::error::RecvError::Closed) => return,
        };
        let state = session.state();
        if !state.initialized || state.version.is_some_and(ProtocolVersion::is_stateless) {
            continue;
        }
        let params = match &event {
            ServerEvent::ResourceUpdated(uri) if session.is_subscribed(uri) => {
                Some(serde_json::json!({"uri": uri}))
            }
            ServerEvent::ResourceUpdated(_) => continue,
            _ => None,
        };
        let n = crate::jsonrpc::Notification {
            method: event.method().into(),
            params,
        };
        if tx.send(Message::Notification(n).encode()).is_err() {
            return;
        }
    }
}
