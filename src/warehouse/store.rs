//! Where a warehouse lives: a local directory, or a prefix on S3-compatible object
//! storage (`s3://bucket/prefix`, AWS S3, MinIO, Ceph, OSS …).
//!
//! Object storage goes through delta-rs's object-store layer: this module registers an
//! `s3://` handler built on `object_store`'s Amazon S3 client (configured from the usual
//! `AWS_*` variables, with `AWS_ENDPOINT_URL` for an S3-compatible store and
//! `AWS_ALLOW_HTTP=true` for plain http), and delta-rs's default log store over it, which
//! commits every Delta version with a conditional put (`If-None-Match: *`): two writers on
//! two machines can never both write one version of a table.

use std::path::{Path, PathBuf};
use std::sync::{Arc, Once};

use deltalake::logstore::object_store::aws::{AmazonS3Builder, AmazonS3ConfigKey, S3ConditionalPut};
use deltalake::logstore::object_store::path::Path as StorePath;
use deltalake::logstore::object_store::{ObjectStore, ObjectStoreExt, PutPayload};
use deltalake::logstore::{
    default_logstore, logstore_factories, object_store_factories, LogStore, LogStoreFactory, ObjectStoreFactory,
    ObjectStoreRef, StorageConfig,
};
use deltalake::{DeltaResult, DeltaTableError};
use url::Url;

use crate::error::{Error, Result};

/// A warehouse's root.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Root {
    Local(PathBuf),
    /// `s3://bucket/prefix/`, always with the trailing slash.
    S3(Url),
}

impl Root {
    /// `s3://…` is object storage; anything else a local directory.
    pub fn parse(s: &str) -> Result<Root> {
        let Some(rest) = s.strip_prefix("s3://") else {
            return Ok(Root::Local(PathBuf::from(s)));
        };
        let bucket = rest.split('/').next().unwrap_or_default();
        if bucket.is_empty() {
            return Err(Error::Usage(format!(
                "`{s}` names no bucket: give the warehouse as s3://BUCKET/PREFIX"
            )));
        }
        let with_slash = if s.ends_with('/') {
            s.to_string()
        } else {
            format!("{s}/")
        };
        let url = Url::parse(&with_slash).map_err(|e| Error::Usage(format!("`{s}` is not a valid s3:// URL: {e}")))?;
        register_s3();
        Ok(Root::S3(url))
    }

    pub fn local(&self) -> Option<&Path> {
        match self {
            Root::Local(p) => Some(p),
            Root::S3(_) => None,
        }
    }

    /// The URL of a directory (a table) under the root.
    pub fn join_dir(&self, name: &str) -> Result<Url> {
        match self {
            Root::Local(root) => {
                let abs = std::path::absolute(root.join(name))?;
                Url::from_directory_path(&abs)
                    .map_err(|()| Error::Usage(format!("cannot make a URL of `{}`", abs.display())))
            }
            Root::S3(url) => url
                .join(&format!("{name}/"))
                .map_err(|e| Error::Usage(format!("cannot make a URL of `{url}{name}`: {e}"))),
        }
    }
}

impl std::fmt::Display for Root {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Root::Local(p) => write!(f, "{}", p.display()),
            Root::S3(u) => write!(f, "{}", u.as_str().trim_end_matches('/')),
        }
    }
}

/// Small objects at the root of an object-storage warehouse (the marker file).
pub struct RootStore {
    store: Arc<dyn ObjectStore>,
    prefix: StorePath,
    url: Url,
}

impl RootStore {
    pub fn open(url: &Url) -> Result<RootStore> {
        let (store, prefix) = S3Factory
            .build(url, &Default::default())
            .map_err(|e| Error::Usage(format!("cannot open `{url}`: {e}")))?;
        Ok(RootStore {
            store,
            prefix,
            url: url.clone(),
        })
    }

    fn path(&self, name: &str) -> StorePath {
        self.prefix.clone().join(name)
    }

    fn failed(&self, what: &str, e: impl std::fmt::Display) -> Error {
        let e = e.to_string();
        if e.contains("NoSuchBucket") {
            let bucket = self.url.host_str().unwrap_or_default();
            return Error::Usage(format!(
                "{what} `{}`: the bucket `{bucket}` does not exist (ceping creates the warehouse in a bucket, \
                 not the bucket: create it with the store's tools first)",
                self.url
            ));
        }
        Error::Usage(format!("{what} `{}`: {e}", self.url))
    }

    /// The object's bytes, `None` when it does not exist.
    pub async fn get(&self, name: &str) -> Result<Option<Vec<u8>>> {
        use deltalake::logstore::object_store::Error as StoreError;
        match self.store.get(&self.path(name)).await {
            Ok(r) => Ok(Some(r.bytes().await.map_err(|e| self.failed("reading", e))?.to_vec())),
            Err(StoreError::NotFound { .. }) => Ok(None),
            Err(e) => Err(self.failed("reading", e)),
        }
    }

    pub async fn put(&self, name: &str, bytes: Vec<u8>) -> Result<()> {
        self.store
            .put(&self.path(name), PutPayload::from(bytes))
            .await
            .map_err(|e| self.failed("writing", e))?;
        Ok(())
    }

    /// Whether anything is stored under the prefix.
    pub async fn is_empty(&self) -> Result<bool> {
        use futures::StreamExt;
        let first = self.store.list(Some(&self.prefix)).next().await;
        match first {
            None => Ok(true),
            Some(Ok(_)) => Ok(false),
            Some(Err(e)) => Err(self.failed("listing", e)),
        }
    }
}

/// Registers the `s3://` handler with delta-rs (once per process).
pub fn register_s3() {
    static ONCE: Once = Once::new();
    ONCE.call_once(|| {
        let scheme = Url::parse("s3://").expect("a valid scheme URL");
        object_store_factories().insert(scheme.clone(), Arc::new(S3Factory));
        logstore_factories().insert(scheme, Arc::new(S3LogStores));
    });
}

/// Amazon S3 (or a compatible store) from the environment, the table's storage options
/// and the URL; conditional put on unless the options say otherwise.
#[derive(Debug, Clone, Copy)]
struct S3Factory;

impl S3Factory {
    fn build(
        &self,
        url: &Url,
        options: &std::collections::HashMap<String, String>,
    ) -> DeltaResult<(ObjectStoreRef, StorePath)> {
        let mut builder = AmazonS3Builder::from_env()
            .with_url(url.as_str())
            .with_conditional_put(S3ConditionalPut::ETagMatch);
        for (key, value) in options {
            if let Ok(k) = key.to_ascii_lowercase().parse::<AmazonS3ConfigKey>() {
                builder = builder.with_config(k, value);
            }
        }
        let store = builder.build().map_err(DeltaTableError::from)?;
        let prefix = StorePath::from_url_path(url.path()).map_err(|e| DeltaTableError::Generic(e.to_string()))?;
        Ok((Arc::new(store), prefix))
    }
}

impl ObjectStoreFactory for S3Factory {
    fn parse_url_opts(&self, url: &Url, config: &StorageConfig) -> DeltaResult<(ObjectStoreRef, StorePath)> {
        self.build(url, &config.raw)
    }
}

/// delta-rs's default log store: every commit a put-if-absent of the version's file.
#[derive(Debug, Clone, Copy)]
struct S3LogStores;

impl LogStoreFactory for S3LogStores {
    fn with_options(
        &self,
        prefixed_store: ObjectStoreRef,
        root_store: ObjectStoreRef,
        location: &Url,
        options: &StorageConfig,
    ) -> DeltaResult<Arc<dyn LogStore>> {
        Ok(default_logstore(prefixed_store, root_store, location, options))
    }
}
