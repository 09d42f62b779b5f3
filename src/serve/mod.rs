//! `stayaudit serve`: spot checks over HTTP, answered from an index kept in memory.
//!
//! The inputs are read once through the pipeline (`pipeline::load`: read and grouped,
//! nobody judged) into a `spot_check::SpotIndex`; each question is answered from it by
//! the code that answers `check`, so the API gives exactly `check --json`'s object.
//! SIGHUP or `POST /-/reload` reads the inputs (and the token file) again while the old
//! index keeps answering, and swaps the new one in whole; a failed reload keeps the old.
//! SIGTERM and Ctrl-C stop accepting, let requests in flight finish, and exit 0.
//!
//! The service runs on tokio and hyper (HTTP/1.1). A connection must send its headers
//! within [`HEADER_TIMEOUT`] (a client trickling them is dropped without holding anyone
//! up), a request is answered within [`REQUEST_TIMEOUT`], and at most
//! `--max-connections` are served at once (503 beyond). What a request may do, and who
//! may make it, is `http`'s and `access`'s.

pub mod access;
mod http;
pub mod page;

use std::convert::Infallible;
use std::net::SocketAddr;
use std::sync::{Arc, RwLock};
use std::time::{Duration, Instant};

use anyhow::{bail, Context, Result};
use hyper::server::conn::http1;
use hyper::service::service_fn;
use hyper_util::rt::{TokioIo, TokioTimer};
use hyper_util::server::graceful::GracefulShutdown;
use tokio::io::AsyncWriteExt;
use tokio::net::TcpListener;
use tokio::signal::unix::{signal, SignalKind};
use tokio::sync::Semaphore;

use crate::config::{PipelineRequest, ServeConfig};
use crate::exit::Status;
use crate::outcome::dialect_notes;
use crate::pipeline;
use crate::spot_check::SpotIndex;
use access::{utc_now, AccessLog, Tokens};

/// How long a client may take to send a request's headers.
pub const HEADER_TIMEOUT: Duration = Duration::from_secs(5);
/// How long a request may take to be answered.
pub const REQUEST_TIMEOUT: Duration = Duration::from_secs(10);
/// How long requests in flight may take to finish once the service is told to stop.
const SHUTDOWN_GRACE: Duration = Duration::from_secs(10);

/// The index being served, and when and how it was loaded.
pub struct Served {
    pub index: SpotIndex,
    pub loaded_at: String,
    pub load_seconds: f64,
    pub inputs: Vec<String>,
}

/// Everything a request may need: the configuration, the index (none until the first
/// load is done), who may ask, the access log.
pub struct Service {
    config: ServeConfig,
    current: RwLock<Option<Arc<Served>>>,
    /// One reload at a time.
    reloading: tokio::sync::Mutex<()>,
    /// Who may ask (none without --token-file): read again on every reload, so a line
    /// deleted from the file revokes its token.
    tokens: Option<RwLock<Arc<Tokens>>>,
    access_log: Option<AccessLog>,
    /// Host header values accepted, lower case, each with and without the port.
    hosts: Vec<String>,
}

impl Service {
    /// The tokens in force, if there is a token file.
    fn tokens(&self) -> Option<Arc<Tokens>> {
        self.tokens.as_ref().map(|tokens| {
            Arc::clone(
                &tokens
                    .read()
                    .unwrap_or_else(|poisoned| poisoned.into_inner()),
            )
        })
    }

    /// The index being served, if one is loaded.
    fn served(&self) -> Option<Arc<Served>> {
        self.current
            .read()
            .unwrap_or_else(|poisoned| poisoned.into_inner())
            .clone()
    }

    /// Reads the token file and the inputs into new tokens and a new index (on the
    /// calling thread: a blocking task).
    fn load(&self) -> Result<(Option<Tokens>, Served)> {
        let clock = Instant::now();
        let tokens = self
            .config
            .token_file
            .as_ref()
            .map(Tokens::load)
            .transpose()?;
        let options = self.config.run.pipeline(PipelineRequest {
            as_of: None,
            only_person: None,
            show_progress: false,
            keep_stays: false,
        })?;
        let loaded = pipeline::load(&options)?;
        if !self.config.quiet {
            for note in dialect_notes(&loaded.dialects, &loaded.rejected) {
                eprintln!("{note}");
            }
        }
        options
            .max_rejected
            .check_files(&loaded.files, &loaded.rejected)?;
        if loaded.valid_rows == 0 {
            bail!(
                "no valid crossing row in the inputs ({} read, {} rejected): nothing to serve",
                loaded.accounting.rows_read,
                loaded.accounting.rows_rejected
            );
        }
        let inputs = options
            .inputs
            .iter()
            .map(|input| input.label().to_string())
            .collect();
        let served = Served {
            index: SpotIndex::new(loaded, &options),
            loaded_at: utc_now(),
            load_seconds: clock.elapsed().as_secs_f64(),
            inputs,
        };
        Ok((tokens, served))
    }

    /// Reads the inputs again and swaps the new index in; on failure the old one stays.
    /// Returns the new index, or why there is none.
    async fn reload(self: &Arc<Self>) -> Result<Arc<Served>> {
        let _one_at_a_time = self.reloading.lock().await;
        let service = Arc::clone(self);
        let loaded = tokio::task::spawn_blocking(move || service.load())
            .await
            .context("the reload stopped")?;
        match loaded {
            Ok((tokens, served)) => {
                if let (Some(now), Some(new)) = (&self.tokens, tokens) {
                    *now.write().unwrap_or_else(|poisoned| poisoned.into_inner()) = Arc::new(new);
                }
                let served = Arc::new(served);
                let before = self
                    .current
                    .write()
                    .unwrap_or_else(|poisoned| poisoned.into_inner())
                    .replace(Arc::clone(&served));
                // The first load is announced as "ready" by `serve`.
                if before.is_some() && !self.config.quiet {
                    eprintln!("stayaudit: reloaded in {:.2} s", served.load_seconds);
                }
                Ok(served)
            }
            Err(error) => {
                let since = self
                    .served()
                    .map(|served| served.loaded_at.clone())
                    .unwrap_or_else(|| "never".into());
                eprintln!(
                    "stayaudit: error: reload failed, still serving the index loaded at \
                     {since}: {error:#}"
                );
                Err(error)
            }
        }
    }
}

/// The Host header values a request may carry: the listen address and, on loopback,
/// `localhost`; and the `--allow-host` names; each alone or with the port.
fn accepted_hosts(config: &ServeConfig, port: u16) -> Vec<String> {
    let ip = config.listen.ip();
    let mut names: Vec<String> = config
        .allow_hosts
        .iter()
        .map(|h| h.to_lowercase())
        .collect();
    if !ip.is_unspecified() {
        names.push(match ip {
            std::net::IpAddr::V6(v6) => format!("[{v6}]"),
            std::net::IpAddr::V4(v4) => v4.to_string(),
        });
    }
    if ip.is_loopback() {
        names.extend(["localhost".into(), "127.0.0.1".into(), "[::1]".into()]);
    }
    let mut hosts = Vec::new();
    for name in names {
        hosts.push(format!("{name}:{port}"));
        hosts.push(name);
    }
    hosts
}

pub fn run(config: ServeConfig) -> Result<Status> {
    let tokens = config.token_file.as_ref().map(Tokens::load).transpose()?;
    let access_log = config
        .access_log
        .as_deref()
        .map(AccessLog::open)
        .transpose()?;
    let threads = config.threads.unwrap_or_else(|| {
        std::thread::available_parallelism().map_or(2, std::num::NonZeroUsize::get)
    });
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(threads)
        .enable_all()
        .build()
        .context("cannot start the service's runtime")?;
    runtime.block_on(async move {
        let listener = TcpListener::bind(config.listen)
            .await
            .with_context(|| format!("--listen {}: cannot listen", config.listen))?;
        let address = listener.local_addr()?;
        let service = Arc::new(Service {
            hosts: accepted_hosts(&config, address.port()),
            config,
            current: RwLock::new(None),
            reloading: tokio::sync::Mutex::new(()),
            tokens: tokens.map(|tokens| RwLock::new(Arc::new(tokens))),
            access_log,
        });
        // Said even with --quiet: whoever started the service needs the address (and,
        // with port 0, the port).
        eprintln!("stayaudit: listening on http://{address}");
        serve(listener, service).await
    })
}

async fn serve(listener: TcpListener, service: Arc<Service>) -> Result<Status> {
    let connections = Arc::new(Semaphore::new(service.config.max_connections));
    let graceful = GracefulShutdown::new();
    let mut terminate = signal(SignalKind::terminate())?;
    let mut interrupt = signal(SignalKind::interrupt())?;
    let mut hangup = signal(SignalKind::hangup())?;
    // The first load, in the background: /readyz says 503 until it is done.
    let mut first_load = {
        let service = Arc::clone(&service);
        Some(tokio::spawn(
            async move { service.reload().await.map(|_| ()) },
        ))
    };
    loop {
        tokio::select! {
            accepted = listener.accept() => {
                let Ok((stream, remote)) = accepted else { continue };
                let Ok(permit) = Arc::clone(&connections).try_acquire_owned() else {
                    tokio::spawn(turn_away(stream));
                    continue;
                };
                let service = Arc::clone(&service);
                let handler = service_fn(move |request| {
                    let service = Arc::clone(&service);
                    async move { Ok::<_, Infallible>(http::respond(&service, request, remote).await) }
                });
                let connection = http1::Builder::new()
                    .timer(TokioTimer::new())
                    .header_read_timeout(HEADER_TIMEOUT)
                    .max_buf_size(http::MAX_HEAD_BYTES)
                    .serve_connection(TokioIo::new(stream), handler);
                let connection = graceful.watch(connection);
                tokio::spawn(async move {
                    // A client that goes away, or trickles its headers, ends here.
                    let _ = connection.await;
                    drop(permit);
                });
            }
            loaded = async { first_load.as_mut().expect("polled while pending").await },
                if first_load.is_some() => {
                first_load = None;
                // Nothing to serve: the service cannot become ready.
                loaded.context("the first load stopped")??;
                if !service.config.quiet {
                    if let Some(served) = service.served() {
                        eprintln!("stayaudit: ready: index loaded in {:.2} s", served.load_seconds);
                    }
                }
            }
            _ = hangup.recv() => {
                let service = Arc::clone(&service);
                tokio::spawn(async move { let _ = service.reload().await; });
            }
            _ = terminate.recv() => break,
            _ = interrupt.recv() => break,
        }
    }
    if !service.config.quiet {
        eprintln!("stayaudit: stopping: finishing the requests in flight");
    }
    tokio::select! {
        _ = graceful.shutdown() => {}
        _ = tokio::time::sleep(SHUTDOWN_GRACE) => {
            eprintln!("stayaudit: stopped with requests still in flight after {SHUTDOWN_GRACE:?}");
        }
    }
    Ok(Status::Success)
}

/// A connection beyond the cap: a 503 and the connection closed.
async fn turn_away(mut stream: tokio::net::TcpStream) {
    let body = http::error_body(
        "busy",
        None,
        "too many requests at once: try again in a moment",
    );
    let response = format!(
        "HTTP/1.1 503 Service Unavailable\r\ncontent-type: application/json\r\n\
         retry-after: 1\r\ncache-control: no-store\r\nconnection: close\r\n\
         content-length: {}\r\n\r\n{body}",
        body.len()
    );
    let _ = stream.write_all(response.as_bytes()).await;
    let _ = stream.shutdown().await;
}

/// The remote address as the access log writes it.
fn remote_text(remote: SocketAddr) -> String {
    remote.to_string()
}
