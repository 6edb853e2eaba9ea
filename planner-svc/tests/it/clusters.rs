//! Clusters: CRUD, unique names, aggregates kept by every change, keyword status following
//! assignment, deletion unassigning keywords, lists.

use igny8_proto::planner::v1 as pb;
use tonic::Code;

use crate::helpers::{Tenant, TestEnv, bearer, code_of, sector_count, violations};

fn new_cluster(t: &Tenant, name: &str, keyword_ids: Vec<String>) -> pb::CreateClusterRequest {
    pb::CreateClusterRequest {
        site_id: t.site_id.clone(),
        sector_id: t.sector().into(),
        name: name.into(),
        description: "Topic group".into(),
        keyword_ids,
    }
}

#[tokio::test]
async fn clusters_keep_aggregates_and_keyword_statuses_through_every_change() {
    let env = TestEnv::start().await;
    let t = env.tenant().await;
    env.seed(
        &t,
        &[
            ("crm", 1000, 40),
            ("crm pricing", 500, 20),
            ("crm demo", 300, 30),
            ("crm api", 200, 60),
        ],
    )
    .await;
    let kws = env.all_keywords(&t).await; // 1000, 500, 300, 200
    let ids: Vec<String> = kws.iter().map(|k| k.id.clone()).collect();
    let mut planner = env.planner();
    let cluster = planner
        .create_cluster(bearer(
            new_cluster(&t, "  CRM   basics ", ids[..2].to_vec()),
            &t.token,
        ))
        .await
        .unwrap()
        .into_inner();
    assert_eq!(
        (cluster.name.as_str(), cluster.status.as_str()),
        ("CRM basics", "new")
    );
    assert_eq!(
        (
            cluster.keyword_count,
            cluster.total_volume,
            cluster.avg_difficulty
        ),
        (2, 1500, 30)
    );
    let status = planner
        .create_cluster(bearer(new_cluster(&t, "crm BASICS", vec![]), &t.token))
        .await
        .unwrap_err();
    assert_eq!(
        (status.code(), code_of(&status).as_str()),
        (Code::AlreadyExists, "DUPLICATE_CLUSTER")
    );
    let status = planner
        .create_cluster(bearer(new_cluster(&t, " ", vec![]), &t.token))
        .await
        .unwrap_err();
    assert_eq!(violations(&status), vec!["name"]);

    let get = |id: &str| bearer(pb::IdRequest { id: id.into() }, &t.token);
    let kw = |id: &str| bearer(pb::IdRequest { id: id.into() }, &t.token);
    assert_eq!(
        planner
            .get_keyword(kw(&ids[0]))
            .await
            .unwrap()
            .into_inner()
            .status,
        "mapped"
    );

    let assigned = planner
        .assign_keywords(bearer(
            pb::AssignKeywordsRequest {
                cluster_id: cluster.id.clone(),
                keyword_ids: ids[2..].to_vec(),
            },
            &t.token,
        ))
        .await
        .unwrap()
        .into_inner();
    assert_eq!(assigned.affected, 2);
    let c = planner
        .get_cluster(get(&cluster.id))
        .await
        .unwrap()
        .into_inner();
    assert_eq!(
        (c.keyword_count, c.total_volume, c.avg_difficulty),
        (4, 2000, 38)
    );

    // A keyword's own changes move the aggregates too.
    planner
        .update_keyword(bearer(
            pb::UpdateKeywordRequest {
                id: ids[3].clone(),
                search_volume: Some(1200),
                difficulty: Some(100),
                ..Default::default()
            },
            &t.token,
        ))
        .await
        .unwrap();
    let c = planner
        .get_cluster(get(&cluster.id))
        .await
        .unwrap()
        .into_inner();
    assert_eq!((c.total_volume, c.avg_difficulty), (3000, 48));

    // A used keyword stays used when it leaves; mapped ones become new.
    planner
        .update_keyword(bearer(
            pb::UpdateKeywordRequest {
                id: ids[1].clone(),
                status: Some("used".into()),
                ..Default::default()
            },
            &t.token,
        ))
        .await
        .unwrap();
    let left = planner
        .unassign_keywords(bearer(
            pb::IdsRequest {
                ids: ids[..2].to_vec(),
            },
            &t.token,
        ))
        .await
        .unwrap()
        .into_inner();
    assert_eq!(left.affected, 2);
    assert_eq!(
        planner
            .get_keyword(kw(&ids[0]))
            .await
            .unwrap()
            .into_inner()
            .status,
        "new"
    );
    let used = planner.get_keyword(kw(&ids[1])).await.unwrap().into_inner();
    assert_eq!(
        (used.status.as_str(), used.cluster_id.as_str()),
        ("used", "")
    );
    let c = planner
        .get_cluster(get(&cluster.id))
        .await
        .unwrap()
        .into_inner();
    assert_eq!((c.keyword_count, c.total_volume), (2, 1500));

    // Keywords of another sector cannot join.
    let other = planner
        .create_keyword(bearer(
            pb::CreateKeywordRequest {
                site_id: t.site_id.clone(),
                sector_id: t.sectors[1].clone(),
                keyword: Some(pb::KeywordInput {
                    keyword: "elsewhere".into(),
                    ..Default::default()
                }),
                cluster_id: String::new(),
            },
            &t.token,
        ))
        .await
        .unwrap()
        .into_inner();
    let status = planner
        .assign_keywords(bearer(
            pb::AssignKeywordsRequest {
                cluster_id: cluster.id.clone(),
                keyword_ids: vec![other.id, ids[0].clone()],
            },
            &t.token,
        ))
        .await
        .unwrap_err();
    assert_eq!(violations(&status), vec!["keyword_ids"]);

    let renamed = planner
        .update_cluster(bearer(
            pb::UpdateClusterRequest {
                id: cluster.id.clone(),
                name: Some("CRM".into()),
                disabled: Some(true),
                ..Default::default()
            },
            &t.token,
        ))
        .await
        .unwrap()
        .into_inner();
    assert_eq!((renamed.name.as_str(), renamed.disabled), ("CRM", true));

    // Deleting the cluster frees its keywords.
    assert_eq!(sector_count(&env, t.sector(), "clusters").await, 1);
    planner.delete_cluster(get(&cluster.id)).await.unwrap();
    for id in &ids[2..] {
        let k = planner.get_keyword(kw(id)).await.unwrap().into_inner();
        assert_eq!((k.status.as_str(), k.cluster_id.as_str()), ("new", ""));
    }
    assert_eq!(
        planner
            .get_cluster(get(&cluster.id))
            .await
            .unwrap_err()
            .code(),
        Code::NotFound
    );
    assert_eq!(sector_count(&env, t.sector(), "clusters").await, 0);
    env.cleanup(&[]).await;
}

#[tokio::test]
async fn cluster_lists_page_order_and_filter() {
    let env = TestEnv::start().await;
    let t = env.tenant().await;
    env.seed(&t, &[("a", 100, 10), ("b", 200, 20), ("c", 300, 90)])
        .await;
    let ids: Vec<String> = env
        .all_keywords(&t)
        .await
        .into_iter()
        .map(|k| k.id)
        .collect(); // c, b, a
    let mut planner = env.planner();
    for (name, members) in [
        ("Alpha", vec![ids[2].clone()]),
        ("Beta", vec![ids[1].clone(), ids[0].clone()]),
        ("Gamma", vec![]),
    ] {
        planner
            .create_cluster(bearer(new_cluster(&t, name, members), &t.token))
            .await
            .unwrap();
    }
    let list =
        |filter: pb::ClusterFilter, ordering: &str, page_size: u32| pb::ListClustersRequest {
            filter: Some(pb::ClusterFilter {
                site_id: t.site_id.clone(),
                sector_id: t.sector().into(),
                ..filter
            }),
            page: Some(igny8_proto::common::v1::PageRequest { page: 1, page_size }),
            ordering: ordering.into(),
        };
    let names = |l: &pb::ClusterList| {
        l.clusters
            .iter()
            .map(|c| c.name.clone())
            .collect::<Vec<_>>()
    };
    let by_volume = planner
        .list_clusters(bearer(
            list(Default::default(), "-total_volume", 2),
            &t.token,
        ))
        .await
        .unwrap()
        .into_inner();
    assert_eq!(names(&by_volume), vec!["Beta", "Alpha"]);
    assert_eq!(by_volume.page.unwrap().count, 3);
    let by_difficulty = planner
        .list_clusters(bearer(
            list(Default::default(), "-avg_difficulty", 10),
            &t.token,
        ))
        .await
        .unwrap()
        .into_inner();
    assert_eq!(names(&by_difficulty), vec!["Beta", "Alpha", "Gamma"]);
    assert_eq!(by_difficulty.clusters[0].avg_difficulty, 55);
    let searched = planner
        .list_clusters(bearer(
            list(
                pb::ClusterFilter {
                    search: "ALP".into(),
                    ..Default::default()
                },
                "name",
                10,
            ),
            &t.token,
        ))
        .await
        .unwrap()
        .into_inner();
    assert_eq!(
        (names(&searched), searched.page.unwrap().count),
        (vec!["Alpha".to_owned()], 1)
    );
    let busy = planner
        .list_clusters(bearer(
            list(
                pb::ClusterFilter {
                    volume_min: Some(150),
                    ..Default::default()
                },
                "name",
                10,
            ),
            &t.token,
        ))
        .await
        .unwrap()
        .into_inner();
    assert_eq!(names(&busy), vec!["Beta"]);
    let options = planner
        .cluster_filter_options(bearer(
            pb::ClusterFilter {
                site_id: t.site_id.clone(),
                ..Default::default()
            },
            &t.token,
        ))
        .await
        .unwrap()
        .into_inner();
    assert_eq!(options.statuses, vec!["new"]);
    env.cleanup(&[]).await;
}
