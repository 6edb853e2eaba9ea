//! Credentials the gateway must refuse with 401: none, malformed, tampered, expired, signed
//! by another key, `alg: none`, and tokens that are not user tokens.

use base64::{Engine as _, engine::general_purpose::URL_SAFE_NO_PAD};
use jsonwebtoken::{Algorithm, EncodingKey, Header};
use serde_json::{Value, json};

use crate::harness::TestApp;

fn claims_of(token: &str) -> Value {
    let payload = token.split('.').nth(1).expect("a JWT has a payload");
    serde_json::from_slice(&URL_SAFE_NO_PAD.decode(payload).expect("base64url payload"))
        .expect("JSON claims")
}

fn sign(pem: &str, kid: &str, claims: &Value) -> String {
    let mut header = Header::new(Algorithm::EdDSA);
    header.kid = Some(kid.to_owned());
    let key = EncodingKey::from_ed_pem(pem.as_bytes()).expect("an Ed25519 PEM key");
    jsonwebtoken::encode(&header, claims, &key).expect("signing works")
}

fn now() -> i64 {
    chrono::Utc::now().timestamp()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn forged_expired_and_foreign_tokens_are_refused() {
    let app = TestApp::spawn().await;
    let owner = app.register("tokens").await;
    let me = "/api/v1/auth/me";
    let jwks = app.get("/api/v1/auth/jwks.json", None).await;
    jwks.assert_status(200);
    let kid = jwks.body["keys"][0]["kid"]
        .as_str()
        .expect("a published key id")
        .to_owned();
    let real_pem = std::fs::read_to_string(&app.keys.private_key_file).unwrap();
    let real = claims_of(&owner.access);

    // Control: the forging helper signs exactly like auth-svc, so what follows fails for the
    // reason each case names and not because of the helper.
    let mut fresh = real.clone();
    fresh["iat"] = json!(now());
    fresh["exp"] = json!(now() + 600);
    fresh["jti"] = json!(uuid::Uuid::new_v4());
    app.get(me, Some(&sign(&real_pem, &kid, &fresh)))
        .await
        .assert_status(200);

    // No credentials, and malformed Authorization headers.
    let missing = app.get(me, None).await;
    missing.assert_error(401, "UNAUTHENTICATED");
    assert_eq!(missing.header("www-authenticate"), Some("Bearer"));
    for value in [
        "Basic dXNlcjpwYXNz",
        "Bearer",
        "Token abc",
        "Bearer not-a-jwt",
    ] {
        let response = app
            .client
            .get(app.url(me))
            .header("authorization", value)
            .send()
            .await
            .unwrap();
        crate::harness::read(response)
            .await
            .assert_error(401, "UNAUTHENTICATED");
    }

    // Tampered payload (a promotion) with the original signature.
    let mut promoted = real.clone();
    promoted["role"] = json!("developer");
    let parts: Vec<&str> = owner.access.split('.').collect();
    let tampered = format!(
        "{}.{}.{}",
        parts[0],
        URL_SAFE_NO_PAD.encode(promoted.to_string()),
        parts[2]
    );
    app.get(me, Some(&tampered))
        .await
        .assert_error(401, "UNAUTHENTICATED");
    // Tampered signature.
    let mut signature = URL_SAFE_NO_PAD.decode(parts[2]).unwrap();
    signature[0] ^= 0xff;
    let bad_signature = format!(
        "{}.{}.{}",
        parts[0],
        parts[1],
        URL_SAFE_NO_PAD.encode(signature)
    );
    app.get(me, Some(&bad_signature))
        .await
        .assert_error(401, "UNAUTHENTICATED");

    // Expired, although signed with the real key.
    let mut expired = real.clone();
    expired["iat"] = json!(now() - 3600);
    expired["exp"] = json!(now() - 600);
    let response = app.get(me, Some(&sign(&real_pem, &kid, &expired))).await;
    response.assert_error(401, "UNAUTHENTICATED");
    assert_eq!(response.body["error"], json!("token has expired"));

    // Signed with another key, under the real key id and under a made-up one.
    let other_pem = igny8_test_support::keys::new_private_key_pem().unwrap();
    app.get(me, Some(&sign(&other_pem, &kid, &fresh)))
        .await
        .assert_error(401, "UNAUTHENTICATED");
    app.get(me, Some(&sign(&other_pem, "0123456789abcdef", &fresh)))
        .await
        .assert_error(401, "UNAUTHENTICATED");

    // alg: none, and HS256 keyed with the public key (algorithm confusion).
    let none_header =
        URL_SAFE_NO_PAD.encode(json!({"alg": "none", "typ": "JWT", "kid": kid}).to_string());
    let unsigned = format!(
        "{none_header}.{}.",
        URL_SAFE_NO_PAD.encode(fresh.to_string())
    );
    app.get(me, Some(&unsigned))
        .await
        .assert_error(401, "UNAUTHENTICATED");
    let x = jwks.body["keys"][0]["x"].as_str().unwrap();
    let mut hs_header = Header::new(Algorithm::HS256);
    hs_header.kid = Some(kid.clone());
    let confused =
        jsonwebtoken::encode(&hs_header, &fresh, &EncodingKey::from_secret(x.as_bytes())).unwrap();
    app.get(me, Some(&confused))
        .await
        .assert_error(401, "UNAUTHENTICATED");

    // Wrong issuer or audience.
    for (claim, value) in [("iss", "someone-else"), ("aud", "another-app")] {
        let mut foreign = fresh.clone();
        foreign[claim] = json!(value);
        app.get(me, Some(&sign(&real_pem, &kid, &foreign)))
            .await
            .assert_error(401, "UNAUTHENTICATED");
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn site_and_service_tokens_are_not_for_clients() {
    let app = TestApp::spawn().await;
    let owner = app.register("kinds").await;
    let jwks = app.get("/api/v1/auth/jwks.json", None).await;
    let kid = jwks.body["keys"][0]["kid"].as_str().unwrap().to_owned();
    let real_pem = std::fs::read_to_string(&app.keys.private_key_file).unwrap();

    let site_token = json!({
        "sub": uuid::Uuid::new_v4(),
        "account": owner.account_id,
        "role": "editor",
        "iat": now(),
        "exp": now() + 300,
        "jti": uuid::Uuid::new_v4(),
        "iss": "igny8-auth",
        "aud": "igny8",
        "kind": "site",
        "site": uuid::Uuid::new_v4(),
    });
    app.get(
        "/api/v1/auth/sites",
        Some(&sign(&real_pem, &kid, &site_token)),
    )
    .await
    .assert_error(401, "UNAUTHENTICATED");

    // A genuine service token, straight from auth-svc.
    let service = app.service_token().await;
    app.get("/api/v1/auth/sites", Some(&service))
        .await
        .assert_error(401, "UNAUTHENTICATED");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_published_key_set_is_a_plain_jwks_document() {
    let app = TestApp::spawn().await;
    let response = app.get("/api/v1/auth/jwks.json/", None).await;
    response.assert_status(200);
    let keys = response.body["keys"].as_array().expect("keys");
    assert!(!keys.is_empty());
    for key in keys {
        assert_eq!(key["kty"], json!("OKP"));
        assert_eq!(key["crv"], json!("Ed25519"));
        assert_eq!(key["alg"], json!("EdDSA"));
        assert_eq!(key["use"], json!("sig"));
        assert!(key["kid"].is_string());
        assert_eq!(
            URL_SAFE_NO_PAD
                .decode(key["x"].as_str().unwrap())
                .unwrap()
                .len(),
            32
        );
    }
    assert!(
        response.body.get("success").is_none(),
        "a standard document, not an envelope"
    );
}
