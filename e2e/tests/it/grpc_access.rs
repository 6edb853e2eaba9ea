//! Services called directly over gRPC refuse callers without a valid identity.

use igny8_proto::{auth::v1 as pb, common::v1::Empty};
use jsonwebtoken::{Algorithm, EncodingKey, Header};
use tonic::Code;

use crate::helpers::{Platform, bearer, unique_email};

#[tokio::test]
async fn calls_without_a_token_are_unauthenticated_but_jwks_is_public() {
    let platform = Platform::start().await;
    let mut client = platform.auth_client();
    let status = client.me(Empty {}).await.unwrap_err();
    assert_eq!(status.code(), Code::Unauthenticated);
    let status = client
        .login(pb::LoginRequest {
            email: "a@example.com".into(),
            password: "whatever1".into(),
        })
        .await
        .unwrap_err();
    assert_eq!(status.code(), Code::Unauthenticated);
    let jwks = client.get_jwks(Empty {}).await.unwrap().into_inner();
    assert_eq!(jwks.keys.len(), 1);
    assert_eq!(jwks.keys[0].crv, "Ed25519");
    platform.cleanup(&[]).await;
}

#[tokio::test]
async fn a_token_signed_with_another_key_is_refused() {
    let platform = Platform::start().await;
    let registered = platform.register(&unique_email()).await;
    let user = registered.user.unwrap();
    let other_pem = igny8_test_support::keys::new_private_key_pem().unwrap();
    // Same claims and even the real key id: only the signature differs.
    let real = jsonwebtoken::decode_header(&registered.access).unwrap();
    let mut header = Header::new(Algorithm::EdDSA);
    header.kid = real.kid;
    let claims = serde_json::json!({
        "sub": user.id, "account": user.account.unwrap().id, "role": "owner",
        "exp": chrono::Utc::now().timestamp() + 600, "iat": chrono::Utc::now().timestamp(),
        "jti": uuid::Uuid::new_v4(), "iss": "igny8-auth", "aud": "igny8", "kind": "user",
        "sid": uuid::Uuid::new_v4(),
    });
    let forged = jsonwebtoken::encode(
        &header,
        &claims,
        &EncodingKey::from_ed_pem(other_pem.as_bytes()).unwrap(),
    )
    .unwrap();
    let status = platform
        .auth_client()
        .me(bearer(Empty {}, &forged))
        .await
        .unwrap_err();
    assert_eq!(status.code(), Code::Unauthenticated);
    // The genuine token works, so the refusal is about the signature.
    let me = platform
        .auth_client()
        .me(bearer(Empty {}, &registered.access))
        .await
        .unwrap()
        .into_inner();
    assert_eq!(me.id, user.id);
    platform.cleanup(&[]).await;
}

#[tokio::test]
async fn a_user_token_cannot_act_for_another_account() {
    let platform = Platform::start().await;
    let ours = platform.register(&unique_email()).await;
    let theirs = platform.register(&unique_email()).await;
    let their_account = theirs.user.unwrap().account.unwrap().id;
    let mut request = bearer(Empty {}, &ours.access);
    request
        .metadata_mut()
        .insert("x-igny8-account", their_account.parse().unwrap());
    let status = platform
        .auth_client()
        .get_account(request)
        .await
        .unwrap_err();
    assert_eq!(status.code(), Code::PermissionDenied);
    platform.cleanup(&[]).await;
}

#[tokio::test]
async fn a_service_token_acts_for_the_account_it_names_and_users_cannot_call_service_methods() {
    let platform = Platform::start().await;
    let registered = platform.register(&unique_email()).await;
    let account_id = registered.user.unwrap().account.unwrap().id;
    let token = platform.service_token("billing-svc").await;
    let mut request = bearer(Empty {}, &token);
    request
        .metadata_mut()
        .insert("x-igny8-account", account_id.parse().unwrap());
    let account = platform
        .auth_client()
        .get_account(request)
        .await
        .unwrap()
        .into_inner();
    assert_eq!(account.id, account_id);
    // Sign-in methods are for the gateway's service token, not for user tokens.
    let status = platform
        .auth_client()
        .login(bearer(
            pb::LoginRequest {
                email: "x@example.com".into(),
                password: "12345678".into(),
            },
            &registered.access,
        ))
        .await
        .unwrap_err();
    assert_eq!(status.code(), Code::PermissionDenied);
    // A wrong service secret gets no token.
    let status = platform
        .auth_client()
        .issue_service_token(pb::ServiceTokenRequest {
            service: "gateway".into(),
            secret: "not-the-secret-at-all".into(),
        })
        .await
        .unwrap_err();
    assert_eq!(status.code(), Code::Unauthenticated);
    platform.cleanup(&[]).await;
}
