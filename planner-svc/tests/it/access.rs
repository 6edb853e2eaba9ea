//! Tenancy and roles: other accounts' and other sites' ids are not found, viewers only read,
//! a site key sees only its site.

use igny8_proto::planner::v1 as pb;
use tonic::Code;

use crate::helpers::{TestEnv, bearer, list_request};

fn keyword(site: &str, sector: &str, text: &str) -> pb::CreateKeywordRequest {
    pb::CreateKeywordRequest {
        site_id: site.into(),
        sector_id: sector.into(),
        keyword: Some(pb::KeywordInput {
            keyword: text.into(),
            ..Default::default()
        }),
        cluster_id: String::new(),
    }
}

#[tokio::test]
async fn another_accounts_ids_are_not_found() {
    let env = TestEnv::start().await;
    let ours = env.tenant().await;
    let theirs = env.tenant().await;
    let mut planner = env.planner();
    let kw = planner
        .create_keyword(bearer(
            keyword(&ours.site_id, ours.sector(), "private"),
            &ours.token,
        ))
        .await
        .unwrap()
        .into_inner();
    let cluster = planner
        .create_cluster(bearer(
            pb::CreateClusterRequest {
                site_id: ours.site_id.clone(),
                sector_id: ours.sector().into(),
                name: "Private".into(),
                ..Default::default()
            },
            &ours.token,
        ))
        .await
        .unwrap()
        .into_inner();
    let by_id = |id: &str| bearer(pb::IdRequest { id: id.into() }, &theirs.token);
    let status = planner.get_keyword(by_id(&kw.id)).await.unwrap_err();
    assert_eq!(status.code(), Code::NotFound);
    let status = planner.delete_keyword(by_id(&kw.id)).await.unwrap_err();
    assert_eq!(status.code(), Code::NotFound);
    let status = planner
        .update_keyword(bearer(
            pb::UpdateKeywordRequest {
                id: kw.id.clone(),
                disabled: Some(true),
                ..Default::default()
            },
            &theirs.token,
        ))
        .await
        .unwrap_err();
    assert_eq!(status.code(), Code::NotFound);
    let status = planner.get_cluster(by_id(&cluster.id)).await.unwrap_err();
    assert_eq!(status.code(), Code::NotFound);
    let status = planner
        .delete_cluster(by_id(&cluster.id))
        .await
        .unwrap_err();
    assert_eq!(status.code(), Code::NotFound);
    let idea = planner
        .create_idea(bearer(
            pb::CreateIdeaRequest {
                site_id: ours.site_id.clone(),
                sector_id: ours.sector().into(),
                title: "Private idea".into(),
                cluster_id: cluster.id.clone(),
                ..Default::default()
            },
            &ours.token,
        ))
        .await
        .unwrap()
        .into_inner();
    let status = planner.get_idea(by_id(&idea.id)).await.unwrap_err();
    assert_eq!(status.code(), Code::NotFound);
    let status = planner
        .update_idea(bearer(
            pb::UpdateIdeaRequest {
                id: idea.id.clone(),
                title: Some("Mine now".into()),
                ..Default::default()
            },
            &theirs.token,
        ))
        .await
        .unwrap_err();
    assert_eq!(status.code(), Code::NotFound);
    let queued = planner
        .queue_ideas_to_writer(bearer(
            pb::IdsRequest {
                ids: vec![idea.id.clone()],
            },
            &theirs.token,
        ))
        .await
        .unwrap()
        .into_inner();
    assert_eq!(queued.queued, 0, "their ids are not ours to queue");
    let deleted = planner
        .bulk_delete_ideas(bearer(
            pb::IdsRequest {
                ids: vec![idea.id.clone()],
            },
            &theirs.token,
        ))
        .await
        .unwrap()
        .into_inner();
    assert_eq!(deleted.affected, 0);
    // Their site in a list or a create: not found, as if it did not exist.
    let status = planner
        .list_keywords(bearer(
            list_request(&ours, pb::KeywordFilter::default(), 1, 25, ""),
            &theirs.token,
        ))
        .await
        .unwrap_err();
    assert_eq!(status.code(), Code::NotFound);
    let status = planner
        .create_keyword(bearer(
            keyword(&ours.site_id, ours.sector(), "sneaky"),
            &theirs.token,
        ))
        .await
        .unwrap_err();
    assert_eq!(status.code(), Code::NotFound);
    // Our site with their sector.
    let status = planner
        .create_keyword(bearer(
            keyword(&theirs.site_id, ours.sector(), "mixed"),
            &theirs.token,
        ))
        .await
        .unwrap_err();
    assert_eq!(status.code(), Code::NotFound);
    // Bulk calls skip what the caller cannot see.
    let deleted = planner
        .bulk_delete_keywords(bearer(
            pb::IdsRequest {
                ids: vec![kw.id.clone()],
            },
            &theirs.token,
        ))
        .await
        .unwrap()
        .into_inner();
    assert_eq!(deleted.affected, 0);
    let still = planner
        .get_keyword(bearer(pb::IdRequest { id: kw.id.clone() }, &ours.token))
        .await
        .unwrap()
        .into_inner();
    assert_eq!(still, kw);
    // Their keyword cannot join our cluster: to them it does not exist.
    let their_kw = planner
        .create_keyword(bearer(
            keyword(&theirs.site_id, theirs.sector(), "theirs"),
            &theirs.token,
        ))
        .await
        .unwrap()
        .into_inner();
    let status = planner
        .update_keyword(bearer(
            pb::UpdateKeywordRequest {
                id: their_kw.id,
                cluster_id: Some(cluster.id.clone()),
                ..Default::default()
            },
            &theirs.token,
        ))
        .await
        .unwrap_err();
    assert_eq!(crate::helpers::violations(&status), vec!["cluster_id"]);
    env.cleanup(&[]).await;
}

#[tokio::test]
async fn viewers_read_and_cannot_write() {
    let env = TestEnv::start().await;
    let t = env.tenant().await;
    let viewer = env.member(&t, "viewer").await;
    let editor = env.member(&t, "editor").await;
    let mut planner = env.planner();
    let kw = planner
        .create_keyword(bearer(
            keyword(&t.site_id, t.sector(), "editors write"),
            &editor,
        ))
        .await
        .unwrap()
        .into_inner();
    let list = planner
        .list_keywords(bearer(
            list_request(&t, pb::KeywordFilter::default(), 1, 25, ""),
            &viewer,
        ))
        .await
        .unwrap()
        .into_inner();
    assert_eq!(list.keywords, vec![kw.clone()]);
    let denied = [
        planner
            .create_keyword(bearer(keyword(&t.site_id, t.sector(), "viewer"), &viewer))
            .await
            .map(|_| ()),
        planner
            .delete_keyword(bearer(pb::IdRequest { id: kw.id.clone() }, &viewer))
            .await
            .map(|_| ()),
        planner
            .bulk_delete_keywords(bearer(
                pb::IdsRequest {
                    ids: vec![kw.id.clone()],
                },
                &viewer,
            ))
            .await
            .map(|_| ()),
        planner
            .update_keyword(bearer(
                pb::UpdateKeywordRequest {
                    id: kw.id.clone(),
                    disabled: Some(true),
                    ..Default::default()
                },
                &viewer,
            ))
            .await
            .map(|_| ()),
        planner
            .create_cluster(bearer(
                pb::CreateClusterRequest {
                    site_id: t.site_id.clone(),
                    sector_id: t.sector().into(),
                    name: "No".into(),
                    ..Default::default()
                },
                &viewer,
            ))
            .await
            .map(|_| ()),
        planner
            .create_idea(bearer(
                pb::CreateIdeaRequest {
                    site_id: t.site_id.clone(),
                    sector_id: t.sector().into(),
                    title: "No".into(),
                    ..Default::default()
                },
                &viewer,
            ))
            .await
            .map(|_| ()),
    ];
    for result in denied {
        assert_eq!(result.unwrap_err().code(), Code::PermissionDenied);
    }
    assert_eq!(
        planner
            .get_keyword(bearer(pb::IdRequest { id: kw.id.clone() }, &viewer))
            .await
            .unwrap()
            .into_inner(),
        kw,
        "nothing changed"
    );
    env.cleanup(&[]).await;
}

#[tokio::test]
async fn a_site_key_sees_and_writes_only_its_site() {
    let env = TestEnv::start().await;
    let t = env.tenant().await;
    env.set_plan(&t, "growth").await; // room for a second site
    let (other_site, other_sectors) = env.site(&t.token).await;
    let mut planner = env.planner();
    let theirs = planner
        .create_keyword(bearer(
            keyword(&other_site, &other_sectors[0], "other site"),
            &t.token,
        ))
        .await
        .unwrap()
        .into_inner();
    let key = env.site_key_token(&t, &t.site_id).await;
    let ours = planner
        .create_keyword(bearer(
            keyword(&t.site_id, t.sector(), "key made this"),
            &key,
        ))
        .await
        .unwrap()
        .into_inner();
    // Without a site filter the key still sees its site only.
    let list = planner
        .list_keywords(bearer(pb::ListKeywordsRequest::default(), &key))
        .await
        .unwrap()
        .into_inner();
    assert_eq!(list.keywords, vec![ours.clone()]);
    assert_eq!(list.page.unwrap().count, 1);
    let owner_list = planner
        .list_keywords(bearer(pb::ListKeywordsRequest::default(), &t.token))
        .await
        .unwrap()
        .into_inner();
    assert_eq!(
        owner_list.page.unwrap().count,
        2,
        "the owner sees both sites"
    );
    let status = planner
        .get_keyword(bearer(
            pb::IdRequest {
                id: theirs.id.clone(),
            },
            &key,
        ))
        .await
        .unwrap_err();
    assert_eq!(status.code(), Code::NotFound);
    let status = planner
        .create_keyword(bearer(
            keyword(&other_site, &other_sectors[0], "escape"),
            &key,
        ))
        .await
        .unwrap_err();
    assert_eq!(status.code(), Code::NotFound);
    let other = pb::ListKeywordsRequest {
        filter: Some(pb::KeywordFilter {
            site_id: other_site.clone(),
            ..Default::default()
        }),
        ..Default::default()
    };
    let status = planner
        .list_keywords(bearer(other, &key))
        .await
        .unwrap_err();
    assert_eq!(status.code(), Code::NotFound);
    let deleted = planner
        .bulk_delete_keywords(bearer(
            pb::IdsRequest {
                ids: vec![theirs.id, ours.id],
            },
            &key,
        ))
        .await
        .unwrap()
        .into_inner();
    assert_eq!(deleted.affected, 1, "only its own site's keyword");
    env.cleanup(&[]).await;
}
