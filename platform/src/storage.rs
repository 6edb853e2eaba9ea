//! Where generated files live: a directory by default (a shared volume when processes run on
//! several hosts), or an S3-compatible bucket (AWS S3, MinIO, Ceph, R2...) by configuration.
//! Files are addressed by a `file_ref`, a relative path the platform chose, so nothing a client
//! sends can name a path outside the store. Both kinds go through `object_store`, which writes
//! local files atomically (staged, then renamed) and signs S3 requests.

use std::{
    fmt,
    path::{Component, Path, PathBuf},
    sync::Arc,
};

use anyhow::Context as _;
use bytes::Bytes;
use object_store::{
    ObjectStore, ObjectStoreExt as _, PutPayload, aws::AmazonS3Builder, local::LocalFileSystem,
    path::Path as StorePath,
};

use crate::config::read_secret_file;

/// Settings of the generated-file store, shared by the processes that write and serve files.
#[derive(Debug, Clone, clap::Args)]
pub struct StorageArgs {
    /// Directory of generated files, used when no bucket is set.
    #[arg(long, env = "IMAGE_STORAGE_DIR", default_value = ".local/data/images")]
    pub image_storage_dir: PathBuf,
    /// S3-compatible bucket; when set, files go there instead of the directory.
    #[arg(long, env = "IMAGE_STORAGE_S3_BUCKET")]
    pub s3_bucket: Option<String>,
    /// Endpoint of an S3-compatible service (e.g. `http://minio:9000`); AWS when unset.
    #[arg(long, env = "IMAGE_STORAGE_S3_ENDPOINT")]
    pub s3_endpoint: Option<String>,
    #[arg(long, env = "IMAGE_STORAGE_S3_REGION", default_value = "us-east-1")]
    pub s3_region: String,
    /// Access key id; with no key pair set, the standard AWS environment (role, web identity)
    /// is used.
    #[arg(long, env = "IMAGE_STORAGE_S3_ACCESS_KEY_ID")]
    pub s3_access_key_id: Option<String>,
    /// File holding the secret access key that goes with the key id.
    #[arg(long, env = "IMAGE_STORAGE_S3_SECRET_ACCESS_KEY_FILE")]
    pub s3_secret_access_key_file: Option<PathBuf>,
}

impl StorageArgs {
    /// A directory store at `dir`.
    pub fn directory(dir: impl Into<PathBuf>) -> Self {
        Self {
            image_storage_dir: dir.into(),
            s3_bucket: None,
            s3_endpoint: None,
            s3_region: "us-east-1".into(),
            s3_access_key_id: None,
            s3_secret_access_key_file: None,
        }
    }
}

/// A store of files addressed by relative references like `images/<account>/<id>.png`.
#[derive(Clone)]
pub struct FileStore {
    inner: Arc<dyn ObjectStore>,
    /// Where the files are, for logs; never holds a credential.
    location: String,
}

impl fmt::Debug for FileStore {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("FileStore")
            .field("location", &self.location)
            .finish_non_exhaustive()
    }
}

impl FileStore {
    /// The store the settings name; a directory is created when missing.
    pub fn open(args: &StorageArgs) -> anyhow::Result<Self> {
        match &args.s3_bucket {
            Some(bucket) => Self::bucket(args, bucket),
            None => Self::directory(&args.image_storage_dir),
        }
    }

    fn directory(root: &Path) -> anyhow::Result<Self> {
        std::fs::create_dir_all(root)
            .with_context(|| format!("IMAGE_STORAGE_DIR: cannot create {}", root.display()))?;
        let store = LocalFileSystem::new_with_prefix(root)
            .with_context(|| format!("IMAGE_STORAGE_DIR: cannot use {}", root.display()))?;
        Ok(Self {
            inner: Arc::new(store),
            location: format!("directory {}", root.display()),
        })
    }

    fn bucket(args: &StorageArgs, bucket: &str) -> anyhow::Result<Self> {
        anyhow::ensure!(
            !bucket.trim().is_empty(),
            "IMAGE_STORAGE_S3_BUCKET: must not be empty when set"
        );
        let mut builder = AmazonS3Builder::from_env()
            .with_bucket_name(bucket)
            .with_region(&args.s3_region);
        if let Some(endpoint) = &args.s3_endpoint {
            let url = url::Url::parse(endpoint)
                .with_context(|| format!("IMAGE_STORAGE_S3_ENDPOINT: not a URL: {endpoint:?}"))?;
            anyhow::ensure!(
                matches!(url.scheme(), "http" | "https"),
                "IMAGE_STORAGE_S3_ENDPOINT: must be an http:// or https:// URL"
            );
            // Self-hosted S3 services are addressed by path (`endpoint/bucket/key`), and a
            // plain-http endpoint is allowed only because someone configured one.
            builder = builder
                .with_endpoint(endpoint)
                .with_allow_http(url.scheme() == "http")
                .with_virtual_hosted_style_request(false);
        }
        match (&args.s3_access_key_id, &args.s3_secret_access_key_file) {
            (Some(id), Some(file)) => {
                let secret = read_secret_file(file, "IMAGE_STORAGE_S3_SECRET_ACCESS_KEY_FILE")?;
                builder = builder
                    .with_access_key_id(id)
                    .with_secret_access_key(secret);
            }
            (None, None) => {}
            (Some(_), None) => anyhow::bail!(
                "IMAGE_STORAGE_S3_SECRET_ACCESS_KEY_FILE: required with IMAGE_STORAGE_S3_ACCESS_KEY_ID"
            ),
            (None, Some(_)) => anyhow::bail!(
                "IMAGE_STORAGE_S3_ACCESS_KEY_ID: required with IMAGE_STORAGE_S3_SECRET_ACCESS_KEY_FILE"
            ),
        }
        // The HTTP client's TLS needs the process's crypto provider (harmless when installed).
        crate::install_crypto_provider();
        let store = builder
            .build()
            .context("IMAGE_STORAGE_S3_BUCKET: cannot configure the S3 client")?;
        Ok(Self {
            inner: Arc::new(store),
            location: format!(
                "bucket {bucket} at {}",
                args.s3_endpoint.as_deref().unwrap_or("AWS S3")
            ),
        })
    }

    /// Where the files are (a directory or a bucket), for logs.
    pub fn location(&self) -> &str {
        &self.location
    }

    /// Writes `bytes` at `file_ref`. Readers never see half a file (a staged file renamed into
    /// place; an S3 object appears whole), and a retried write simply replaces the first.
    /// Takes the bytes by value: an image is handed on, not copied.
    pub async fn put(&self, file_ref: &str, bytes: Vec<u8>) -> anyhow::Result<()> {
        let path = resolve(file_ref)?;
        self.inner
            .put(&path, PutPayload::from(bytes))
            .await
            .with_context(|| format!("storing {file_ref} in {}", self.location))?;
        Ok(())
    }

    /// The file's bytes, or `None` when there is no such file.
    pub async fn get(&self, file_ref: &str) -> anyhow::Result<Option<Bytes>> {
        let path = resolve(file_ref)?;
        let found = match self.inner.get(&path).await {
            Ok(found) => found,
            Err(object_store::Error::NotFound { .. }) => return Ok(None),
            Err(e) => {
                return Err(e)
                    .with_context(|| format!("reading {file_ref} from {}", self.location));
            }
        };
        let bytes = found
            .bytes()
            .await
            .with_context(|| format!("reading {file_ref} from {}", self.location))?;
        Ok(Some(bytes))
    }
}

/// True for a reference the store accepts: relative, made of plain names only (nothing
/// absolute, no `.` or `..`).
pub fn is_plain_ref(file_ref: &str) -> bool {
    !file_ref.is_empty()
        && Path::new(file_ref)
            .components()
            .all(|c| matches!(c, Component::Normal(_)))
}

/// Refuses references that are absolute or climb out of the store.
fn resolve(file_ref: &str) -> anyhow::Result<StorePath> {
    anyhow::ensure!(
        is_plain_ref(file_ref),
        "invalid file reference {file_ref:?}"
    );
    StorePath::parse(file_ref).with_context(|| format!("invalid file reference {file_ref:?}"))
}

/// The content type of a stored image, from its extension.
pub fn content_type_of(file_ref: &str) -> &'static str {
    match Path::new(file_ref)
        .extension()
        .and_then(|e| e.to_str())
        .unwrap_or_default()
    {
        "png" => "image/png",
        "jpg" | "jpeg" => "image/jpeg",
        "webp" => "image/webp",
        "gif" => "image/gif",
        _ => "application/octet-stream",
    }
}

#[cfg(test)]
mod tests {
    use igny8_test_support::fake_s3::FakeS3;

    use super::*;

    async fn stores_reads_back_and_refuses_escapes(store: &FileStore) {
        store.put("images/a/b.png", b"png".to_vec()).await.unwrap();
        assert_eq!(
            store.get("images/a/b.png").await.unwrap().unwrap().as_ref(),
            b"png"
        );
        // A retried write replaces the first.
        store.put("images/a/b.png", b"png2".to_vec()).await.unwrap();
        assert_eq!(
            store.get("images/a/b.png").await.unwrap().unwrap().as_ref(),
            b"png2"
        );
        assert!(store.get("images/a/missing.png").await.unwrap().is_none());
        for bad in ["../x", "/etc/passwd", "a/../../x", "", "a//b", "./a"] {
            assert!(store.get(bad).await.is_err(), "{bad} must be refused");
            assert!(
                store.put(bad, b"x".to_vec()).await.is_err(),
                "{bad} must be refused"
            );
        }
    }

    #[tokio::test]
    async fn a_directory_store_keeps_files_under_its_root() {
        let dir = std::env::temp_dir().join(format!("igny8-store-{}", uuid::Uuid::new_v4()));
        let store = FileStore::open(&StorageArgs::directory(&dir)).unwrap();
        stores_reads_back_and_refuses_escapes(&store).await;
        assert_eq!(std::fs::read(dir.join("images/a/b.png")).unwrap(), b"png2");
        assert_eq!(content_type_of("x/y.webp"), "image/webp");
        std::fs::remove_dir_all(dir).unwrap();
    }

    #[tokio::test]
    async fn a_bucket_store_speaks_s3_with_signed_requests() {
        let s3 = FakeS3::start().await.unwrap();
        let secret_file = s3.dir().join("secret");
        std::fs::write(&secret_file, s3.secret_key()).unwrap();
        let mut args = StorageArgs::directory("unused");
        args.s3_bucket = Some(s3.bucket().into());
        args.s3_endpoint = Some(s3.endpoint());
        args.s3_access_key_id = Some(s3.access_key().into());
        args.s3_secret_access_key_file = Some(secret_file.clone());
        let store = FileStore::open(&args).unwrap();
        stores_reads_back_and_refuses_escapes(&store).await;
        // The object is in the bucket, not in a local directory.
        assert_eq!(s3.object("images/a/b.png").unwrap(), b"png2");
        assert!(!Path::new("unused").exists());
        assert!(!format!("{store:?}").contains(s3.secret_key()));

        // A wrong secret is refused by the server: the requests really are signed.
        std::fs::write(&secret_file, "not-the-right-secret-at-all").unwrap();
        let wrong = FileStore::open(&args).unwrap();
        assert!(wrong.get("images/a/b.png").await.is_err());
        assert!(wrong.put("images/a/c.png", b"x".to_vec()).await.is_err());
        assert!(s3.object("images/a/c.png").is_none());
    }

    #[test]
    fn incomplete_bucket_settings_name_the_missing_one() {
        let mut args = StorageArgs::directory("unused");
        args.s3_bucket = Some("images".into());
        args.s3_access_key_id = Some("id".into());
        let error = FileStore::open(&args).unwrap_err().to_string();
        assert!(
            error.contains("IMAGE_STORAGE_S3_SECRET_ACCESS_KEY_FILE"),
            "{error}"
        );
        args.s3_endpoint = Some("minio:9000".into());
        args.s3_access_key_id = None;
        let error = FileStore::open(&args).unwrap_err().to_string();
        assert!(error.contains("IMAGE_STORAGE_S3_ENDPOINT"), "{error}");
    }
}
