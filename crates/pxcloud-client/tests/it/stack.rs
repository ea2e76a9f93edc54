//! The stack against a scripted loopback server: size cap, single-flight login, decode
//! errors, connection refused.

use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::Duration;

use pxcloud_client::{ApiRequest, Auth, Client, ClientConfig, ErrorKind, Secret};

use crate::local::{CHUNKED, LocalServer, json};

const PASSWORD: &str = "s3cret-pass-word";

fn config(url: &str) -> ClientConfig {
    let mut c = ClientConfig::new(
        url,
        Auth::Password {
            username: "admin".into(),
            password: Secret::new(PASSWORD),
        },
    );
    c.retry.base_delay = Duration::from_millis(5);
    c
}

/// A server that issues token "tok-N" on the N-th login and accepts only the newest.
async fn pxcloud_like() -> (LocalServer, Arc<AtomicUsize>) {
    pxcloud_like_slow(Duration::ZERO).await
}

async fn pxcloud_like_slow(delay: Duration) -> (LocalServer, Arc<AtomicUsize>) {
    let logins = Arc::new(AtomicUsize::new(0));
    let l = logins.clone();
    let server = LocalServer::start_slow(delay, move |seen, _| {
        if seen.path == "/api/auth/login" {
            let n = l.fetch_add(1, Ordering::SeqCst) + 1;
            return json(
                200,
                &format!(r#"{{"code":0,"message":"ok","data":{{"token":"tok-{n}","expires_at":4102444800}}}}"#),
            );
        }
        let current = format!("Bearer tok-{}", l.load(Ordering::SeqCst));
        if seen.authorization.as_deref() != Some(current.as_str()) {
            return json(401, r#"{"code":"token_expired","message":"token expired"}"#);
        }
        match seen.path.as_str() {
            "/big" => json(200, &format!("\"{}\"", "x".repeat(4096))),
            "/big-chunked" => {
                let mut r = json(200, &format!("\"{}\"", "x".repeat(4096)));
                r.headers_mut().insert(CHUNKED, http::HeaderValue::from_static("1"));
                r
            }
            "/html" => json(200, "<html>oops</html>"),
            _ => json(200, r#"{"ok":true}"#),
        }
    })
    .await;
    (server, logins)
}

#[tokio::test]
async fn size_cap_is_enforced_while_reading() {
    let (server, _) = pxcloud_like().await;
    let mut c = config(&server.url());
    c.max_response_bytes = 1024;
    let client = Client::new(c).unwrap();
    let e = client.send(ApiRequest::get("/big")).await.unwrap_err();
    assert_eq!(e.kind(), ErrorKind::TooLarge, "{e}");
    assert!(e.to_string().contains("declares 4098 bytes"), "{e}");
    // Without Content-Length the cap is enforced while the body streams in.
    let e = client
        .send(ApiRequest::get("/big-chunked"))
        .await
        .unwrap_err();
    assert_eq!(e.kind(), ErrorKind::TooLarge, "{e}");
    assert!(
        e.to_string().contains("exceeds the cap of 1024 bytes"),
        "{e}"
    );
    let ok = client.send(ApiRequest::get("/small")).await.unwrap();
    assert_eq!(ok.json().unwrap()["ok"], true);
}

#[tokio::test]
async fn undecodable_body_keeps_first_bytes() {
    let (server, _) = pxcloud_like().await;
    let client = Client::new(config(&server.url())).unwrap();
    let r = client.send(ApiRequest::get("/html")).await.unwrap();
    let e = r.json().unwrap_err();
    assert_eq!(e.kind(), ErrorKind::Decode);
    assert_eq!(e.body_prefix(), Some("<html>oops</html>"));
}

#[tokio::test]
async fn stale_token_sixteen_calls_one_login() {
    let (server, logins) = pxcloud_like().await;
    let client = Client::new(config(&server.url())).unwrap();
    client.login().await.unwrap();
    assert_eq!(logins.load(Ordering::SeqCst), 1);
    // Another party logs in: the client's token is no longer the newest.
    logins.fetch_add(1, Ordering::SeqCst);
    let calls = (0..16).map(|i| {
        let client = client.clone();
        tokio::spawn(async move { client.send(ApiRequest::get(format!("/api/x/{i}"))).await })
    });
    for call in calls {
        let r = call.await.unwrap().unwrap();
        assert_eq!(r.status, 200);
    }
    assert_eq!(logins.load(Ordering::SeqCst), 3, "exactly one re-login");
    assert_eq!(client.stats().logins, 2);
}

#[tokio::test]
async fn connection_refused_is_a_transport_error_naming_the_url() {
    let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let addr = listener.local_addr().unwrap();
    drop(listener);
    let mut c = config(&format!("http://{addr}"));
    c.retry.max_attempts = 2;
    let client = Client::new(c).unwrap();
    let e = client.send(ApiRequest::get("/api/x")).await.unwrap_err();
    assert_eq!(e.kind(), ErrorKind::Transport, "{e}");
    assert!(!e.may_have_been_sent());
    assert!(e.to_string().contains(&addr.to_string()), "{e}");
    assert!(!format!("{e} {e:?}").contains(PASSWORD));
    // Connect failures are safe to repeat for any method: the login POST was tried twice.
    assert_eq!(client.stats().retries, 1);
}

#[tokio::test]
async fn per_attempt_timeout_repeats_get_never_post() {
    let arrivals = Arc::new(AtomicUsize::new(0));
    let a = arrivals.clone();
    let server = LocalServer::start_slow(Duration::from_millis(500), move |seen, _| {
        if seen.path != "/api/auth/login" {
            a.fetch_add(1, Ordering::SeqCst);
        }
        json(200, r#"{"code":0,"data":{"token":"t"}}"#)
    })
    .await;
    let mut c = config(&server.url());
    c.auth = Auth::Token(Secret::new("tok"));
    c.timeouts.per_attempt = Duration::from_millis(150);
    c.retry.max_attempts = 3;
    let client = Client::new(c).unwrap();
    let e = client.send(ApiRequest::get("/api/vms")).await.unwrap_err();
    assert_eq!(e.kind(), ErrorKind::Timeout);
    assert_eq!(arrivals.swap(0, Ordering::SeqCst), 3);
    let e = client
        .send(ApiRequest::new(http::Method::POST, "/api/vms"))
        .await
        .unwrap_err();
    assert_eq!(e.kind(), ErrorKind::Timeout);
    assert!(e.may_have_been_sent());
    assert_eq!(arrivals.load(Ordering::SeqCst), 1);
}

#[tokio::test]
async fn cancelled_caller_does_not_abort_the_login_others_wait_for() {
    let (server, logins) = pxcloud_like_slow(Duration::from_millis(300)).await;
    let client = Client::new(config(&server.url())).unwrap();
    let first = {
        let client = client.clone();
        tokio::spawn(async move { client.send(ApiRequest::get("/api/a")).await })
    };
    tokio::time::sleep(Duration::from_millis(80)).await;
    first.abort();
    let r = client.send(ApiRequest::get("/api/b")).await.unwrap();
    assert_eq!(r.status, 200);
    assert_eq!(
        logins.load(Ordering::SeqCst),
        1,
        "the login survived the cancelled caller"
    );
}

#[tokio::test]
async fn failed_early_renewal_keeps_using_the_valid_token() {
    let logins = Arc::new(AtomicUsize::new(0));
    let l = logins.clone();
    let expires_at = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap()
        .as_secs()
        + 5;
    let server = LocalServer::start(move |seen, _| {
        if seen.path == "/api/auth/login" {
            // The first login works; PXCloud's login is broken afterwards.
            if l.fetch_add(1, Ordering::SeqCst) == 0 {
                return json(
                    200,
                    &format!(
                        r#"{{"code":0,"data":{{"token":"tok-1","expires_at":{expires_at}}}}}"#
                    ),
                );
            }
            return json(503, r#"{"code":"service_unavailable","message":"down"}"#);
        }
        match seen.authorization.as_deref() {
            Some("Bearer tok-1") => json(200, r#"{"ok":true}"#),
            _ => json(401, r#"{"code":"token_expired","message":"expired"}"#),
        }
    })
    .await;
    let client = Client::new(config(&server.url())).unwrap();
    client.login().await.unwrap();
    // In the renewal window (the last fifth of the life, after taking off a second for
    // rounding), before the token expires.
    tokio::time::sleep(Duration::from_millis(3300)).await;
    let r = client.send(ApiRequest::get("/api/vms")).await.unwrap();
    assert_eq!(r.status, 200);
    assert_eq!(logins.load(Ordering::SeqCst), 2, "renewal was attempted");
}
