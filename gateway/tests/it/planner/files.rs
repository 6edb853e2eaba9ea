//! CSV over REST: raw and multipart uploads, rejected rows, the streamed export.

use serde_json::json;

use super::{site, upload};
use crate::harness::TestApp;

#[tokio::test]
async fn csv_files_go_in_as_text_or_multipart_and_come_out_filtered() {
    let app = TestApp::spawn_with_planner().await;
    let owner = app.register("csv").await;
    let (site_id, sectors) = site(&app, &owner).await;
    let import = format!(
        "/api/v1/planner/keywords/import/?site_id={site_id}&sector_id={}",
        sectors[0]
    );
    let file = "Keyword,Search Volume,KD %,CPC (USD),Intent\nbest crm,1200,45,1.25,Commercial\nBEST CRM,1,1,,\ncrm pricing,90,20,,t\n";
    let text = upload(
        &app,
        &import,
        &owner.access,
        "text/csv",
        file.as_bytes().to_vec(),
    )
    .await;
    text.assert_status(200);
    assert_eq!(
        text.body["data"],
        json!({"created": 2, "skipped": 1, "rejected": 0})
    );

    let boundary = "planner-test-boundary";
    let form = format!(
        "--{boundary}\r\nContent-Disposition: form-data; name=\"file\"; filename=\"kw.csv\"\r\nContent-Type: text/csv\r\n\r\nkeyword,volume\ncrm demo,300\n\r\n--{boundary}--\r\n"
    );
    let multipart = upload(
        &app,
        &import,
        &owner.access,
        &format!("multipart/form-data; boundary={boundary}"),
        form.into_bytes(),
    )
    .await;
    multipart.assert_status(200);
    assert_eq!(multipart.body["data"]["created"], json!(1));

    let bad = upload(
        &app,
        &import,
        &owner.access,
        "text/csv",
        b"keyword,difficulty\nok,1\n,2\nfine,900\n".to_vec(),
    )
    .await;
    bad.assert_field_error("line 3")
        .assert_field_error("line 4")
        .assert_field_error("csv");
    upload(
        &app,
        &import,
        &owner.access,
        "application/pdf",
        b"%PDF".to_vec(),
    )
    .await
    .assert_error(415, "UNSUPPORTED_MEDIA_TYPE");

    let export = app
        .client
        .get(app.url(&format!(
            "/api/v1/planner/keywords/export?site_id={site_id}&volume_min=100"
        )))
        .bearer_auth(&owner.access)
        .send()
        .await
        .unwrap();
    assert_eq!(export.status(), 200);
    assert!(
        export.headers()["content-type"]
            .to_str()
            .unwrap()
            .starts_with("text/csv")
    );
    assert!(
        export.headers()["content-disposition"]
            .to_str()
            .unwrap()
            .contains("keywords.csv")
    );
    let csv = export.text().await.unwrap();
    let rows: Vec<&str> = csv.lines().collect();
    assert!(rows[0].starts_with("keyword,search_volume,difficulty,cpc,intent"));
    let mut names: Vec<&str> = rows[1..]
        .iter()
        .map(|r| r.split(',').next().unwrap())
        .collect();
    names.sort_unstable();
    assert_eq!(
        names,
        ["best crm", "crm demo"],
        "crm pricing (90) is filtered out"
    );
}
