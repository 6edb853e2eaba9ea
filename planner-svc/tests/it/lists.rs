//! Keyword lists: pagination edges, ordering, filters, counts, filter options, and counters
//! after bulk updates and deletes.

use igny8_proto::planner::v1 as pb;

use crate::helpers::{Tenant, TestEnv, bearer, list_request, real_count, sector_count, violations};

/// 30 keywords: volume 100*i, difficulty 3*i, intent cycling through the four.
async fn thirty(env: &TestEnv, t: &Tenant) -> Vec<String> {
    let intents = [
        "informational",
        "commercial",
        "transactional",
        "navigational",
    ];
    let keywords = (1..=30u32)
        .map(|i| pb::KeywordInput {
            keyword: format!(
                "topic {i:02} {}",
                if i % 10 == 0 { "50%_off" } else { "guide" }
            ),
            search_volume: 100 * i,
            difficulty: 3 * i,
            cpc: format!("0.{i:02}"),
            intent: intents[(i % 4) as usize].into(),
        })
        .collect();
    let added = env
        .planner()
        .bulk_create_keywords(bearer(
            pb::BulkCreateKeywordsRequest {
                site_id: t.site_id.clone(),
                sector_id: t.sector().into(),
                keywords,
            },
            &t.token,
        ))
        .await
        .unwrap()
        .into_inner();
    assert_eq!(added.created, 30);
    env.all_keywords(t)
        .await
        .into_iter()
        .map(|k| k.id)
        .collect()
}

async fn list(
    env: &TestEnv,
    t: &Tenant,
    filter: pb::KeywordFilter,
    page: u32,
    size: u32,
    order: &str,
) -> pb::KeywordList {
    env.planner()
        .list_keywords(bearer(list_request(t, filter, page, size, order), &t.token))
        .await
        .unwrap()
        .into_inner()
}

fn texts(list: &pb::KeywordList) -> Vec<&str> {
    list.keywords.iter().map(|k| k.keyword.as_str()).collect()
}

#[tokio::test]
async fn pages_orderings_filters_and_counts_agree() {
    let env = TestEnv::start().await;
    let t = env.tenant().await;
    thirty(&env, &t).await;
    let all = pb::KeywordFilter::default();
    let first = list(&env, &t, all.clone(), 0, 0, "-search_volume").await;
    assert_eq!(first.keywords.len(), 25, "default page size");
    assert_eq!(first.page.unwrap().count, 30);
    assert_eq!(first.keywords[0].search_volume, 3000);
    assert!(
        first
            .keywords
            .windows(2)
            .all(|w| w[0].search_volume > w[1].search_volume)
    );
    let second = list(&env, &t, all.clone(), 2, 25, "-search_volume").await;
    assert_eq!(second.keywords.len(), 5);
    assert_eq!(second.keywords.last().unwrap().search_volume, 100);
    let beyond = list(&env, &t, all.clone(), 3, 25, "-search_volume").await;
    assert!(beyond.keywords.is_empty());
    assert_eq!(
        beyond.page.unwrap().count,
        30,
        "the count survives an empty page"
    );
    let exact = list(&env, &t, all.clone(), 3, 10, "search_volume").await;
    assert_eq!(exact.keywords.len(), 10);
    assert_eq!(exact.keywords[9].search_volume, 3000);

    let by_text = list(&env, &t, all.clone(), 1, 3, "keyword").await;
    assert_eq!(
        texts(&by_text),
        vec!["topic 01 guide", "topic 02 guide", "topic 03 guide"]
    );
    let by_cpc = list(&env, &t, all.clone(), 1, 1, "-cpc").await;
    assert_eq!(by_cpc.keywords[0].cpc, "0.30");
    let newest = list(&env, &t, all.clone(), 1, 1, "").await;
    assert_eq!(
        newest.keywords[0].keyword, "topic 30 50%_off",
        "default: newest first"
    );

    let ranged = pb::KeywordFilter {
        volume_min: Some(1000),
        volume_max: Some(2000),
        difficulty_max: Some(45),
        ..Default::default()
    };
    let page = list(&env, &t, ranged, 1, 100, "search_volume").await;
    let volumes: Vec<u32> = page.keywords.iter().map(|k| k.search_volume).collect();
    assert_eq!(volumes, vec![1000, 1100, 1200, 1300, 1400, 1500]);
    assert_eq!(page.page.unwrap().count, 6);
    let commercial = pb::KeywordFilter {
        intent: "commercial".into(),
        ..Default::default()
    };
    let page = list(&env, &t, commercial, 1, 3, "search_volume").await;
    assert_eq!(page.page.unwrap().count, 8, "i = 1, 5, ..., 29");
    assert!(page.keywords.iter().all(|k| k.intent == "commercial"));
    // The search is a literal, case-insensitive substring: % and _ match themselves.
    let search = pb::KeywordFilter {
        search: "50%_OFF".into(),
        ..Default::default()
    };
    let page = list(&env, &t, search, 1, 25, "keyword").await;
    assert_eq!(
        texts(&page),
        vec!["topic 10 50%_off", "topic 20 50%_off", "topic 30 50%_off"]
    );
    assert_eq!(page.page.unwrap().count, 3);

    let options = env
        .planner()
        .keyword_filter_options(bearer(
            pb::KeywordFilter {
                site_id: t.site_id.clone(),
                sector_id: t.sector().into(),
                ..Default::default()
            },
            &t.token,
        ))
        .await
        .unwrap()
        .into_inner();
    assert_eq!(options.statuses, vec!["new"]);
    assert_eq!(options.intents.len(), 4);
    assert_eq!(options.sources, vec!["api"]);
    assert_eq!((options.volume_min, options.volume_max), (100, 3000));
    assert_eq!((options.difficulty_min, options.difficulty_max), (3, 90));

    for (page_size, ordering, field) in [(101, "", "page_size"), (10, "password", "ordering")] {
        let status = env
            .planner()
            .list_keywords(bearer(
                list_request(&t, pb::KeywordFilter::default(), 1, page_size, ordering),
                &t.token,
            ))
            .await
            .unwrap_err();
        assert_eq!(violations(&status), vec![field]);
    }
    let status = env
        .planner()
        .list_keywords(bearer(
            list_request(
                &t,
                pb::KeywordFilter {
                    status: "archived".into(),
                    ..Default::default()
                },
                1,
                10,
                "",
            ),
            &t.token,
        ))
        .await
        .unwrap_err();
    assert_eq!(violations(&status), vec!["status"]);
    env.cleanup(&[]).await;
}

#[tokio::test]
async fn bulk_updates_and_deletes_keep_every_counter_right() {
    let env = TestEnv::start().await;
    let t = env.tenant().await;
    let ids = thirty(&env, &t).await; // by volume, largest first
    let mut planner = env.planner();
    let cluster = planner
        .create_cluster(bearer(
            pb::CreateClusterRequest {
                site_id: t.site_id.clone(),
                sector_id: t.sector().into(),
                name: "Guides".into(),
                ..Default::default()
            },
            &t.token,
        ))
        .await
        .unwrap()
        .into_inner();
    let top: Vec<String> = ids[..10].to_vec(); // volumes 3000..2100, difficulty 90..63
    let changed = planner
        .bulk_update_keywords(bearer(
            pb::BulkUpdateKeywordsRequest {
                ids: top.clone(),
                cluster_id: Some(cluster.id.clone()),
                ..Default::default()
            },
            &t.token,
        ))
        .await
        .unwrap()
        .into_inner();
    assert_eq!(changed.affected, 10);
    let get = |id: &str| bearer(pb::IdRequest { id: id.into() }, &t.token);
    let c = planner
        .get_cluster(get(&cluster.id))
        .await
        .unwrap()
        .into_inner();
    assert_eq!(
        (c.keyword_count, c.total_volume, c.avg_difficulty),
        (10, 25_500, 77)
    );
    let mapped = list(
        &env,
        &t,
        pb::KeywordFilter {
            status: "mapped".into(),
            ..Default::default()
        },
        1,
        100,
        "",
    )
    .await;
    assert_eq!(mapped.page.unwrap().count, 10);
    assert!(mapped.keywords.iter().all(|k| k.cluster_name == "Guides"));
    let in_cluster = list(
        &env,
        &t,
        pb::KeywordFilter {
            cluster_id: cluster.id.clone(),
            ..Default::default()
        },
        1,
        100,
        "",
    )
    .await;
    assert_eq!(in_cluster.page.unwrap().count, 10);
    let unclustered = list(
        &env,
        &t,
        pb::KeywordFilter {
            cluster_id: "none".into(),
            ..Default::default()
        },
        1,
        100,
        "",
    )
    .await;
    assert_eq!(unclustered.page.unwrap().count, 20);

    // Two leave the cluster by becoming new; three are disabled.
    let changed = planner
        .bulk_update_keywords(bearer(
            pb::BulkUpdateKeywordsRequest {
                ids: top[..2].to_vec(),
                status: Some("new".into()),
                ..Default::default()
            },
            &t.token,
        ))
        .await
        .unwrap()
        .into_inner();
    assert_eq!(changed.affected, 2);
    planner
        .bulk_update_keywords(bearer(
            pb::BulkUpdateKeywordsRequest {
                ids: ids[20..23].to_vec(),
                disabled: Some(true),
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
    assert_eq!((c.keyword_count, c.total_volume), (8, 25_500 - 3000 - 2900));
    let disabled = list(
        &env,
        &t,
        pb::KeywordFilter {
            disabled: Some(true),
            ..Default::default()
        },
        1,
        100,
        "",
    )
    .await;
    assert_eq!(disabled.page.unwrap().count, 3);

    // Mapped needs a cluster; the whole call is refused when one keyword has none.
    let status = planner
        .bulk_update_keywords(bearer(
            pb::BulkUpdateKeywordsRequest {
                ids: ids[..3].to_vec(),
                status: Some("mapped".into()),
                ..Default::default()
            },
            &t.token,
        ))
        .await
        .unwrap_err();
    assert_eq!(violations(&status), vec!["status"]);

    // Delete three clustered and two free keywords, plus an id nobody has.
    let mut doomed: Vec<String> = top[5..8].to_vec();
    doomed.extend(ids[25..27].iter().cloned());
    doomed.push(uuid::Uuid::now_v7().to_string());
    let deleted = planner
        .bulk_delete_keywords(bearer(pb::IdsRequest { ids: doomed }, &t.token))
        .await
        .unwrap()
        .into_inner();
    assert_eq!(deleted.affected, 5);
    let c = planner
        .get_cluster(get(&cluster.id))
        .await
        .unwrap()
        .into_inner();
    assert_eq!(c.keyword_count, 5);
    let expected_volume: u64 = [2800u64, 2700, 2600, 2500, 2400, 2300, 2200, 2100]
        .iter()
        .enumerate()
        .filter(|(i, _)| !(3..6).contains(i))
        .map(|(_, v)| *v)
        .sum();
    assert_eq!(c.total_volume, expected_volume);
    assert_eq!(sector_count(&env, t.sector(), "keywords").await, 25);
    assert_eq!(real_count(&env, "keywords", t.sector()).await, 25);
    let unfiltered = list(&env, &t, pb::KeywordFilter::default(), 1, 1, "").await;
    assert_eq!(unfiltered.page.unwrap().count, 25);
    let aggregates: (i64, i64, i64) = sqlx::query_as(
        "SELECT count(*), COALESCE(sum(search_volume), 0)::bigint, COALESCE(sum(difficulty), 0)::bigint \
         FROM planner.keywords WHERE cluster_id = $1::uuid",
    )
    .bind(&cluster.id)
    .fetch_one(&env.planner_pool)
    .await
    .unwrap();
    let stored: (i32, i64, i64) = sqlx::query_as(
        "SELECT keyword_count, total_volume, difficulty_sum FROM planner.clusters WHERE id = $1::uuid",
    )
    .bind(&cluster.id)
    .fetch_one(&env.planner_pool)
    .await
    .unwrap();
    assert_eq!((i64::from(stored.0), stored.1, stored.2), aggregates);
    env.cleanup(&[]).await;
}
