//! Login, token lifetime and single-flight re-login against the simulator.

use std::time::Duration;

use pxcloud_client::{ApiRequest, Auth, Client, ErrorKind, Secret};
use pxcloud_sim::{ADMIN_PASSWORD, ADMIN_USER};

use crate::common::{assert_no_secret, client_for, config_for, entries_for, sim_http, statuses};

const LOGIN: &str = "/api/auth/login";

#[tokio::test]
async fn token_revoked_mid_session_sixteen_calls_one_login() {
    let sim = sim_http().await;
    let client = client_for(&sim);
    client.login().await.unwrap();
    let first = client.send(ApiRequest::get("/api/vms")).await.unwrap();
    assert_eq!(first.status, 200);
    assert_eq!(sim.log().count("POST", LOGIN), 1);

    sim.faults().revoke_all_tokens();
    sim.log().clear();
    let calls: Vec<_> = (0..16)
        .map(|_| {
            let client = client.clone();
            tokio::spawn(async move { client.send(ApiRequest::get("/api/vms")).await })
        })
        .collect();
    for call in calls {
        let response = call.await.unwrap().unwrap();
        assert_eq!(response.status, 200, "{:?}", response.json());
    }
    assert_eq!(
        sim.log().count("POST", LOGIN),
        1,
        "one login for sixteen calls"
    );
    let gets = entries_for(&sim, "GET", "/api/vms");
    // Every call: one refused attempt at most, then one success.
    assert_eq!(gets.iter().filter(|e| e.status == 200).count(), 16);
    assert!(gets.iter().all(|e| e.status == 200 || e.status == 401));
    assert!(gets.len() <= 32);
    assert!(
        gets.iter()
            .filter(|e| e.status == 200)
            .all(|e| e.authenticated_as.as_deref() == Some(ADMIN_USER))
    );
    assert_eq!(client.stats().logins, 2);
}

#[tokio::test]
async fn post_refused_with_401_is_repeated_once_after_login() {
    let sim = sim_http().await;
    let client = client_for(&sim);
    client.login().await.unwrap();
    sim.faults().revoke_all_tokens();
    sim.log().clear();
    let path = "/api/vms/cluster1:pve1:101/power/start";
    let r = client
        .send(ApiRequest::new(http::Method::POST, path))
        .await
        .unwrap();
    assert!(r.status < 500, "{}", r.status);
    assert_eq!(statuses(&entries_for(&sim, "POST", path))[0], 401);
    assert_eq!(entries_for(&sim, "POST", path).len(), 2);
    assert_eq!(sim.log().count("POST", LOGIN), 1);
}

#[tokio::test]
async fn token_renewed_before_it_expires() {
    let sim = sim_http().await;
    sim.faults().set_token_ttl(Duration::from_secs(4));
    let client = client_for(&sim);
    client.login().await.unwrap();
    // Inside the last fifth of the token's life (expiry comes in whole seconds, rounded
    // up, so the client renews from 2.4 s to 3.2 s at the latest), still before it expires.
    tokio::time::sleep(Duration::from_millis(3300)).await;
    let r = client.send(ApiRequest::get("/api/vms")).await.unwrap();
    assert_eq!(r.status, 200);
    assert_eq!(sim.log().count("POST", LOGIN), 2);
    assert!(
        statuses(&entries_for(&sim, "GET", "/api/vms"))
            .iter()
            .all(|s| *s == 200)
    );
}

#[tokio::test]
async fn bad_credentials_say_so_without_the_password() {
    let sim = sim_http().await;
    let mut config = config_for(&sim);
    let wrong = "wrong-password-7f3a";
    config.auth = Auth::Password {
        username: ADMIN_USER.into(),
        password: Secret::new(wrong),
    };
    let client = Client::new(config).unwrap();
    let e = client.login().await.unwrap_err();
    assert_eq!(e.kind(), ErrorKind::Auth, "{e}");
    assert!(e.to_string().contains("PXCLOUD_PASS"), "{e}");
    assert_no_secret(&e, &[wrong, ADMIN_PASSWORD]);
    // Sixteen calls waiting for the same failed login do not each try again.
    sim.log().clear();
    let calls: Vec<_> = (0..16)
        .map(|_| {
            let client = client.clone();
            tokio::spawn(async move { client.send(ApiRequest::get("/api/vms")).await })
        })
        .collect();
    for call in calls {
        let e = call.await.unwrap().unwrap_err();
        assert_eq!(e.kind(), ErrorKind::Auth);
        assert_eq!(e.status(), Some(401));
        assert!(e.api_code().is_some(), "PXCloud's code kept: {e:?}");
        assert_no_secret(&e, &[wrong]);
    }
    let logins = sim.log().count("POST", LOGIN);
    assert!(logins < 16, "{logins} logins for 16 calls");
    assert_eq!(sim.log().count("GET", "/api/vms"), 0);
}

#[tokio::test]
async fn static_token_works_and_cannot_be_renewed() {
    let sim = sim_http().await;
    let token = sim.issue_token(ADMIN_USER);
    let mut config = config_for(&sim);
    config.auth = Auth::Token(Secret::new(token.clone()));
    let client = Client::new(config).unwrap();
    client.login().await.unwrap();
    let r = client.send(ApiRequest::get("/api/vms")).await.unwrap();
    assert_eq!(r.status, 200);
    sim.faults().revoke_all_tokens();
    let e = client.send(ApiRequest::get("/api/vms")).await.unwrap_err();
    assert_eq!(e.kind(), ErrorKind::Auth, "{e}");
    assert_eq!(e.status(), Some(401));
    assert!(e.to_string().contains("PXCLOUD_TOKEN"), "{e}");
    assert_no_secret(&e, &[&token]);
    assert_eq!(sim.log().count("POST", LOGIN), 0);
    // The token itself is never in the log beyond its first 8 characters.
    for entry in sim.log().entries() {
        assert!(!format!("{entry:?}").contains(&token));
    }
}

#[tokio::test]
async fn client_debug_output_has_no_secrets() {
    let sim = sim_http().await;
    let config = config_for(&sim);
    let text = format!("{config:?}");
    assert!(!text.contains(ADMIN_PASSWORD), "{text}");
    let client = Client::new(config).unwrap();
    client.login().await.unwrap();
    let text = format!("{client:?}");
    assert!(!text.contains(ADMIN_PASSWORD), "{text}");
}
