//! Where generated files live: a directory by default (a shared volume when processes run on
//! several hosts). Files are addressed by a `file_ref`, a relative path the platform chose,
//! so nothing a client sends can name a path outside the store.

use std::path::{Component, Path, PathBuf};

use anyhow::Context as _;
use tokio::io::AsyncWriteExt as _;

/// A directory of files addressed by relative references like `images/<account>/<id>.png`.
#[derive(Debug, Clone)]
pub struct FileStore {
    root: PathBuf,
}

impl FileStore {
    /// Creates the directory when it is missing.
    pub fn open(root: impl Into<PathBuf>, setting: &str) -> anyhow::Result<Self> {
        let root = root.into();
        std::fs::create_dir_all(&root)
            .with_context(|| format!("{setting}: cannot create {}", root.display()))?;
        Ok(Self { root })
    }

    pub fn root(&self) -> &Path {
        &self.root
    }

    /// Writes `bytes` at `file_ref` atomically (temporary file, then rename), so a reader
    /// never sees half a file and a retried write simply replaces the first.
    pub async fn put(&self, file_ref: &str, bytes: &[u8]) -> anyhow::Result<()> {
        let path = self.resolve(file_ref)?;
        if let Some(dir) = path.parent() {
            tokio::fs::create_dir_all(dir).await?;
        }
        let tmp = path.with_extension(format!("tmp-{}", uuid::Uuid::new_v4().simple()));
        let mut file = tokio::fs::File::create(&tmp).await?;
        file.write_all(bytes).await?;
        file.sync_all().await?;
        drop(file);
        tokio::fs::rename(&tmp, &path).await?;
        Ok(())
    }

    /// The file's bytes, or `None` when there is no such file.
    pub async fn get(&self, file_ref: &str) -> anyhow::Result<Option<Vec<u8>>> {
        let path = self.resolve(file_ref)?;
        match tokio::fs::read(&path).await {
            Ok(bytes) => Ok(Some(bytes)),
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(None),
            Err(e) => Err(e).with_context(|| format!("reading {}", path.display())),
        }
    }

    /// Refuses references that are absolute or climb out of the store.
    fn resolve(&self, file_ref: &str) -> anyhow::Result<PathBuf> {
        let relative = Path::new(file_ref);
        let plain = !file_ref.is_empty()
            && relative
                .components()
                .all(|c| matches!(c, Component::Normal(_)));
        anyhow::ensure!(plain, "invalid file reference {file_ref:?}");
        Ok(self.root.join(relative))
    }
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
    use super::*;

    #[tokio::test]
    async fn stores_and_reads_back_and_refuses_escapes() {
        let dir = std::env::temp_dir().join(format!("igny8-store-{}", uuid::Uuid::new_v4()));
        let store = FileStore::open(&dir, "TEST").unwrap();
        store.put("images/a/b.png", b"png").await.unwrap();
        assert_eq!(store.get("images/a/b.png").await.unwrap().unwrap(), b"png");
        assert!(store.get("images/a/missing.png").await.unwrap().is_none());
        for bad in ["../x", "/etc/passwd", "a/../../x", ""] {
            assert!(store.get(bad).await.is_err(), "{bad} must be refused");
        }
        assert_eq!(content_type_of("x/y.webp"), "image/webp");
        std::fs::remove_dir_all(dir).unwrap();
    }
}
