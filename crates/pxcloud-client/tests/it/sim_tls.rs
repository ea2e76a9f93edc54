//! TLS trust against the simulator's self-signed certificate, and connection reuse.

use pxcloud_client::{ApiRequest, Client, ErrorKind, TlsTrust};
use pxcloud_sim::ADMIN_PASSWORD;

use crate::common::{assert_no_secret, config_for, sim_https};

#[tokio::test]
async fn verification_is_on_by_default_and_the_failure_says_what_to_do() {
    let sim = sim_https().await;
    let mut config = config_for(&sim);
    config.tls = TlsTrust::System;
    let client = Client::new(config).unwrap();
    assert!(client.warnings().is_empty());
    let e = client.login().await.unwrap_err();
    assert_eq!(e.kind(), ErrorKind::Tls, "{e}");
    let expected_fp = sim.fingerprint_sha256().unwrap();
    assert_eq!(e.fingerprint(), Some(expected_fp.as_str()));
    let text = e.to_string();
    for needle in [
        "PXCLOUD_CA_FILE".to_owned(),
        format!("PXCLOUD_TLS_FINGERPRINT={expected_fp}"),
        "PXCLOUD_TLS_VERIFY=false".to_owned(),
    ] {
        assert!(text.contains(&needle), "missing {needle}: {text}");
    }
    assert_no_secret(&e, &[ADMIN_PASSWORD]);
    // The credentials never left: no request reached the simulator.
    assert!(sim.log().entries().is_empty(), "{:?}", sim.log().entries());
}

#[tokio::test]
async fn fingerprint_pin_accepted_in_any_spelling() {
    let sim = sim_https().await;
    let fp = sim.fingerprint_sha256().unwrap();
    for spelling in [fp.clone(), fp.to_lowercase(), fp.replace(':', "")] {
        let mut config = config_for(&sim);
        config.tls = TlsTrust::Fingerprint(spelling.clone());
        let client = Client::new(config).unwrap();
        let r = client.send(ApiRequest::get("/api/vms")).await.unwrap();
        assert_eq!(r.status, 200, "{spelling}");
    }
}

#[tokio::test]
async fn wrong_pin_refused_before_anything_is_sent() {
    let sim = sim_https().await;
    let fp = sim.fingerprint_sha256().unwrap();
    let wrong = format!("00{}", &fp[2..]);
    let wrong = if wrong == fp {
        format!("11{}", &fp[2..])
    } else {
        wrong
    };
    let mut config = config_for(&sim);
    config.tls = TlsTrust::Fingerprint(wrong.clone());
    let client = Client::new(config).unwrap();
    let e = client.send(ApiRequest::get("/api/vms")).await.unwrap_err();
    assert_eq!(e.kind(), ErrorKind::Tls, "{e}");
    assert_eq!(e.fingerprint(), Some(fp.as_str()));
    let text = e.to_string();
    assert!(
        text.contains("does not match PXCLOUD_TLS_FINGERPRINT"),
        "{text}"
    );
    assert!(text.contains(&wrong), "{text}");
    assert_no_secret(&e, &[ADMIN_PASSWORD]);
    assert!(sim.log().entries().is_empty());
}

#[tokio::test]
async fn ca_file_accepted() {
    let sim = sim_https().await;
    let pem = sim.cert_pem().unwrap();
    let path = std::env::temp_dir().join(format!(
        "pxcloud-client-ca-{}-{}.pem",
        std::process::id(),
        sim.addr().port()
    ));
    std::fs::write(&path, pem.as_bytes()).unwrap();
    let mut config = config_for(&sim);
    config.tls = TlsTrust::CaFile(path.clone());
    let client = Client::new(config).unwrap();
    let result = client.send(ApiRequest::get("/api/vms")).await;
    let _ = std::fs::remove_file(&path);
    assert_eq!(result.unwrap().status, 200);
    // The same from PEM bytes.
    let mut config = config_for(&sim);
    config.tls = TlsTrust::CaPem(pem.into_bytes());
    let client = Client::new(config).unwrap();
    assert_eq!(
        client
            .send(ApiRequest::get("/api/vms"))
            .await
            .unwrap()
            .status,
        200
    );
}

#[tokio::test]
async fn insecure_works_with_a_warning() {
    let sim = sim_https().await;
    let mut config = config_for(&sim);
    config.tls = TlsTrust::Insecure;
    let client = Client::new(config).unwrap();
    assert!(client.warnings()[0].contains("PXCLOUD_TLS_VERIFY=false"));
    assert_eq!(
        client
            .send(ApiRequest::get("/api/vms"))
            .await
            .unwrap()
            .status,
        200
    );
}

#[tokio::test]
async fn https_client_against_http_server_says_so() {
    let sim = crate::common::sim_http().await;
    let url = sim.url().replace("http://", "https://");
    let mut config = config_for(&sim);
    config.base_url = url;
    let client = Client::new(config).unwrap();
    let e = client.login().await.unwrap_err();
    assert_eq!(e.kind(), ErrorKind::Tls, "{e}");
    assert!(e.to_string().contains("PXCLOUD_URL"), "{e}");
}

#[tokio::test]
async fn sixteen_calls_in_flight_reuse_connections() {
    let sim = sim_https().await;
    let client = Client::new(config_for(&sim)).unwrap();
    client.login().await.unwrap();
    let round = || async {
        let calls: Vec<_> = (0..16)
            .map(|_| {
                let client = client.clone();
                tokio::spawn(async move { client.send(ApiRequest::get("/api/vms")).await })
            })
            .collect();
        for call in calls {
            assert_eq!(call.await.unwrap().unwrap().status, 200);
        }
    };
    round().await;
    let after_first = client.stats().connections_opened;
    // The simulator offers h2 by ALPN: the sixteen calls share one connection.
    assert_eq!(after_first, 1, "{after_first} connections for 16 calls");
    for _ in 0..3 {
        round().await;
    }
    let after_more = client.stats().connections_opened;
    assert!(
        after_more <= after_first + 2,
        "connections not reused: {after_first} then {after_more}"
    );
}

#[tokio::test]
async fn http2_by_alpn_over_tls_and_http1_in_clear() {
    let sim = sim_https().await;
    let r = Client::new(config_for(&sim))
        .unwrap()
        .send(ApiRequest::get("/api/vms"))
        .await
        .unwrap();
    assert_eq!(r.version, http::Version::HTTP_2);
    let sim = crate::common::sim_http().await;
    let client = Client::new(config_for(&sim)).unwrap();
    let calls: Vec<_> = (0..16)
        .map(|_| {
            let client = client.clone();
            tokio::spawn(async move { client.send(ApiRequest::get("/api/vms")).await })
        })
        .collect();
    for call in calls {
        assert_eq!(call.await.unwrap().unwrap().version, http::Version::HTTP_11);
    }
    let opened = client.stats().connections_opened;
    assert!(opened <= 17, "{opened}");
    for _ in 0..16 {
        client.send(ApiRequest::get("/api/vms")).await.unwrap();
    }
    assert_eq!(
        client.stats().connections_opened,
        opened,
        "keep-alive reuse"
    );
}
