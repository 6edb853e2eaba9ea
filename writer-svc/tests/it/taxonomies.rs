//! Taxonomy terms: CRUD, slugs, duplicates, lists and tenancy.

use igny8_proto::writer::v1 as pb;
use tonic::Code;

use crate::helpers::{Platform, assert_field_error, bearer, code_of};

#[tokio::test]
async fn terms_are_managed_per_site_with_unique_slugs_and_external_ids() {
    let p = Platform::start().await;
    let t = p.tenant().await;
    let theirs = p.tenant().await;
    let new = |name: &str, kind: &str| pb::CreateTaxonomyRequest {
        site_id: t.site_a.clone(),
        name: name.into(),
        taxonomy_type: kind.into(),
        ..Default::default()
    };
    let w = || p.writer();
    let category = w()
        .create_taxonomy(bearer(new("How-To Guides", "category"), &t.owner))
        .await
        .unwrap()
        .into_inner();
    assert_eq!(category.slug, "how-to-guides");
    assert!(category.sector_id.is_empty());
    let tag = w()
        .create_taxonomy(bearer(
            pb::CreateTaxonomyRequest {
                external_id: "17".into(),
                external_taxonomy: "post_tag".into(),
                ..new("Rust", "tag")
            },
            &t.owner,
        ))
        .await
        .unwrap()
        .into_inner();
    // The same slug as another type is fine; twice for one type is a conflict.
    w().create_taxonomy(bearer(new("Rust", "category"), &t.owner))
        .await
        .expect("category rust");
    let dup = w()
        .create_taxonomy(bearer(new("rust", "tag"), &t.owner))
        .await
        .unwrap_err();
    assert_eq!(
        (dup.code(), code_of(&dup).as_str()),
        (Code::AlreadyExists, "TAXONOMY_EXISTS")
    );
    let dup_external = pb::CreateTaxonomyRequest {
        external_id: "17".into(),
        ..new("Other", "tag")
    };
    assert_eq!(
        w().create_taxonomy(bearer(dup_external, &t.owner))
            .await
            .unwrap_err()
            .code(),
        Code::AlreadyExists
    );
    // Another site may reuse the slug.
    let on_b = pb::CreateTaxonomyRequest {
        site_id: t.site_b.clone(),
        sector_id: t.sector_b1.clone(),
        ..new("Rust", "tag")
    };
    let on_b = w()
        .create_taxonomy(bearer(on_b, &t.owner))
        .await
        .unwrap()
        .into_inner();
    assert_eq!(on_b.sector_id, t.sector_b1);

    let bad = pb::CreateTaxonomyRequest {
        slug: "Not A Slug".into(),
        ..new("", "topic")
    };
    let err = w()
        .create_taxonomy(bearer(bad, &t.owner))
        .await
        .unwrap_err();
    for field in ["name", "slug", "taxonomy_type"] {
        assert_field_error(&err, field);
    }

    let list = |req: pb::ListTaxonomiesRequest, token: &str| {
        let mut w = p.writer();
        let req = bearer(req, token);
        async move { w.list_taxonomies(req).await }
    };
    let tags = list(
        pb::ListTaxonomiesRequest {
            site_id: t.site_a.clone(),
            taxonomy_type: "tag".into(),
            ..Default::default()
        },
        &t.viewer,
    )
    .await
    .unwrap()
    .into_inner();
    assert_eq!(
        tags.terms.iter().map(|t| t.id.as_str()).collect::<Vec<_>>(),
        [tag.id.as_str()]
    );
    let all = list(pb::ListTaxonomiesRequest::default(), &t.owner)
        .await
        .unwrap()
        .into_inner();
    assert_eq!(all.page.unwrap().count, 4);
    let by_name_desc = list(
        pb::ListTaxonomiesRequest {
            site_id: t.site_a.clone(),
            ordering: "-name".into(),
            ..Default::default()
        },
        &t.owner,
    )
    .await
    .unwrap()
    .into_inner();
    assert_eq!(
        by_name_desc
            .terms
            .iter()
            .map(|t| t.name.as_str())
            .collect::<Vec<_>>(),
        ["Rust", "Rust", "How-To Guides"]
    );
    let searched = list(
        pb::ListTaxonomiesRequest {
            search: "guide".into(),
            ..Default::default()
        },
        &t.owner,
    )
    .await
    .unwrap()
    .into_inner();
    assert_eq!(searched.terms.len(), 1);
    // Sector lists include the site-wide terms.
    let in_sector = list(
        pb::ListTaxonomiesRequest {
            site_id: t.site_b.clone(),
            sector_id: t.sector_b1.clone(),
            ..Default::default()
        },
        &t.owner,
    )
    .await
    .unwrap()
    .into_inner();
    assert_eq!(in_sector.page.unwrap().count, 1);
    let keyed = list(pb::ListTaxonomiesRequest::default(), &t.site_key)
        .await
        .unwrap()
        .into_inner();
    assert_eq!(
        keyed.page.unwrap().count,
        3,
        "the site key sees site a only"
    );
    assert_eq!(
        list(pb::ListTaxonomiesRequest::default(), &theirs.owner)
            .await
            .unwrap()
            .into_inner()
            .page
            .unwrap()
            .count,
        0
    );

    let update = pb::UpdateTaxonomyRequest {
        id: category.id.clone(),
        name: Some("Guides".into()),
        slug: Some("guides".into()),
        external_id: Some("5".into()),
        ..Default::default()
    };
    let updated = w()
        .update_taxonomy(bearer(update, &t.owner))
        .await
        .unwrap()
        .into_inner();
    assert_eq!(
        (
            updated.name.as_str(),
            updated.slug.as_str(),
            updated.external_id.as_str()
        ),
        ("Guides", "guides", "5")
    );
    let cleared = pb::UpdateTaxonomyRequest {
        id: category.id.clone(),
        external_id: Some(String::new()),
        ..Default::default()
    };
    assert!(
        w().update_taxonomy(bearer(cleared, &t.owner))
            .await
            .unwrap()
            .into_inner()
            .external_id
            .is_empty()
    );
    let clash = pb::UpdateTaxonomyRequest {
        id: tag.id.clone(),
        slug: Some("rust".into()),
        ..Default::default()
    };
    assert!(
        w().update_taxonomy(bearer(clash, &t.owner)).await.is_ok(),
        "its own slug"
    );

    let id = pb::IdRequest { id: tag.id.clone() };
    assert_eq!(
        w().get_taxonomy(bearer(id.clone(), &theirs.owner))
            .await
            .unwrap_err()
            .code(),
        Code::NotFound
    );
    assert_eq!(
        w().delete_taxonomy(bearer(id.clone(), &theirs.owner))
            .await
            .unwrap_err()
            .code(),
        Code::NotFound
    );
    assert_eq!(
        w().get_taxonomy(bearer(
            pb::IdRequest {
                id: on_b.id.clone()
            },
            &t.site_key
        ))
        .await
        .unwrap_err()
        .code(),
        Code::NotFound
    );
    assert_eq!(
        w().delete_taxonomy(bearer(id.clone(), &t.viewer))
            .await
            .unwrap_err()
            .code(),
        Code::PermissionDenied
    );
    assert_eq!(
        w().create_taxonomy(bearer(new("x", "tag"), &t.viewer))
            .await
            .unwrap_err()
            .code(),
        Code::PermissionDenied
    );
    let foreign_site = pb::CreateTaxonomyRequest {
        site_id: t.site_a.clone(),
        ..new("x", "tag")
    };
    assert_eq!(
        w().create_taxonomy(bearer(foreign_site, &theirs.owner))
            .await
            .unwrap_err()
            .code(),
        Code::NotFound
    );

    // Deleting a term unlinks it from content.
    let content_req = pb::CreateContentRequest {
        site_id: t.site_a.clone(),
        sector_id: t.sector_a1.clone(),
        title: "Tagged".into(),
        taxonomy_term_ids: vec![tag.id.clone()],
        ..Default::default()
    };
    let content = w()
        .create_content(bearer(content_req, &t.owner))
        .await
        .unwrap()
        .into_inner();
    assert_eq!(content.tags.len(), 1);
    w().delete_taxonomy(bearer(id, &t.owner)).await.unwrap();
    let content = w()
        .get_content(bearer(pb::IdRequest { id: content.id }, &t.owner))
        .await
        .unwrap()
        .into_inner();
    assert!(content.tags.is_empty());
    p.cleanup(&[]).await;
}
