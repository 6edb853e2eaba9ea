//! HTTP load: each worker owns a client with a single keep-alive connection and repeats one
//! request; a non-2xx status or a transport error counts as an error.

use reqwest::{Client, RequestBuilder};

use crate::load::{self, LoadPlan, LoadStats, Outcome};

/// A client that keeps exactly one idle connection to the target, so N workers hold N
/// connections, like N independent API clients.
pub fn single_connection_client() -> reqwest::Result<Client> {
    Client::builder()
        .pool_max_idle_per_host(1)
        .http1_only()
        .tcp_nodelay(true)
        .no_proxy()
        .build()
}

/// Repeats the request that `request` builds, on `plan.connections` workers.
pub async fn run<F>(plan: &LoadPlan, request: F) -> anyhow::Result<LoadStats>
where
    F: Fn(&Client) -> RequestBuilder + Clone + Send + 'static,
{
    let mut operations = Vec::with_capacity(plan.connections);
    for _ in 0..plan.connections {
        let client = single_connection_client()?;
        let request = request.clone();
        operations.push(move || send(request(&client)));
    }
    load::run(plan, operations).await
}

async fn send(request: RequestBuilder) -> Outcome {
    let response = match request.send().await {
        Ok(response) => response,
        Err(error) => return Outcome::Error(error.to_string()),
    };
    let status = response.status();
    // Reading the body to its end is what lets the connection be reused.
    match response.bytes().await {
        Ok(_) if status.is_success() => Outcome::Ok,
        Ok(body) => Outcome::Error(format!(
            "HTTP {status}: {}",
            String::from_utf8_lossy(&body[..body.len().min(200)])
        )),
        Err(error) => Outcome::Error(error.to_string()),
    }
}
