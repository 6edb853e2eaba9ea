//! A local S3-compatible server for storage tests: the S3 REST protocol over real HTTP on
//! 127.0.0.1 (s3s), objects kept in a temporary directory (s3s-fs), and SigV4 signatures
//! checked against one key pair. Stopped and removed when dropped.

use std::path::{Path, PathBuf};

use anyhow::Context as _;
use hyper_util::{
    rt::{TokioExecutor, TokioIo},
    server::conn::auto::Builder,
};
use s3s::{auth::SimpleAuth, service::S3ServiceBuilder};
use tokio::{net::TcpListener, task::JoinHandle};

const BUCKET: &str = "igny8-test-images";

pub struct FakeS3 {
    port: u16,
    dir: PathBuf,
    access_key: String,
    secret_key: String,
    server: JoinHandle<()>,
}

impl FakeS3 {
    /// Starts a server with one empty bucket.
    pub async fn start() -> anyhow::Result<Self> {
        let tag = crate::unique_tag();
        let dir = std::env::temp_dir().join(format!("igny8-s3-{tag}"));
        let root = dir.join("root");
        // s3s-fs keeps a bucket as a directory under its root.
        std::fs::create_dir_all(root.join(BUCKET))?;
        let access_key = format!("AKIA{}", tag.to_uppercase());
        let secret_key = format!("secret-{tag}-{}", crate::unique_tag());
        let fs = s3s_fs::FileSystem::new(&root)
            .map_err(|e| anyhow::anyhow!("s3s-fs over {}: {e:?}", root.display()))?;
        let mut builder = S3ServiceBuilder::new(fs);
        builder.set_auth(SimpleAuth::from_single(
            access_key.clone(),
            secret_key.clone(),
        ));
        let service = builder.build();
        let listener = TcpListener::bind("127.0.0.1:0")
            .await
            .context("binding the fake S3 server")?;
        let port = listener.local_addr()?.port();
        let server = tokio::spawn(async move {
            let http = Builder::new(TokioExecutor::new());
            while let Ok((socket, _)) = listener.accept().await {
                let connection = http
                    .serve_connection(TokioIo::new(socket), service.clone())
                    .into_owned();
                tokio::spawn(async move {
                    let _ = connection.await;
                });
            }
        });
        Ok(Self {
            port,
            dir,
            access_key,
            secret_key,
            server,
        })
    }

    /// `http://127.0.0.1:<port>`, addressed path-style.
    pub fn endpoint(&self) -> String {
        format!("http://127.0.0.1:{}", self.port)
    }

    pub fn bucket(&self) -> &str {
        BUCKET
    }

    pub fn access_key(&self) -> &str {
        &self.access_key
    }

    pub fn secret_key(&self) -> &str {
        &self.secret_key
    }

    /// A scratch directory of this server's, removed with it (for secret files and the like).
    pub fn dir(&self) -> &Path {
        &self.dir
    }

    /// The stored object's bytes, read from the server's own storage, or `None`.
    pub fn object(&self, key: &str) -> Option<Vec<u8>> {
        std::fs::read(self.dir.join("root").join(BUCKET).join(key)).ok()
    }
}

impl Drop for FakeS3 {
    fn drop(&mut self) {
        self.server.abort();
        let _ = std::fs::remove_dir_all(&self.dir);
    }
}
