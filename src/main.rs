//! The `ide-sidecar` command: serve an editor over stdio (the default), check one connection spec,
//! run the built-in demo, or write the JSON Schema. This file is the only place that prints to
//! stdout outside the protocol, and only for the commands that are not `serve`.
#![allow(clippy::print_stdout, clippy::print_stderr)]

use std::path::PathBuf;
use std::pin::Pin;
use std::process::ExitCode;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;
use std::task::{Context, Poll};

use clap::{Parser, Subcommand};

// The tests use more of the demo's client and registry than the demo does.
#[allow(dead_code)]
mod demo;
use ide_sidecar::connections::{ConnectionManager, ManagerError, Settings};
use ide_sidecar::protocol::{
    ConnectedState, ConnectionSpec, ConnectionType, InitializationOptions, KafkaClusterConfig, SchemaRegistryConfig,
    TlsConfig,
};
use tokio::io::{AsyncRead, ReadBuf};
use tracing_subscriber::EnvFilter;

#[derive(Parser)]
#[command(
    version,
    about = "Editor companion for Kafka developers: connections and their live status over stdio JSON-RPC"
)]
struct Cli {
    #[command(subcommand)]
    command: Option<Commands>,
}

#[derive(clap::Args)]
struct ServeArgs {
    /// How many requests run at once; more wait for one to finish (none is dropped).
    #[arg(long, default_value_t = ide_sidecar::server::DEFAULT_MAX_CONCURRENT_REQUESTS as u16, value_parser = clap::value_parser!(u16).range(1..=1024))]
    max_concurrent_requests: u16,
}

#[derive(Subcommand)]
enum Commands {
    /// Serve an editor over stdio (the default).
    Serve(ServeArgs),
    /// Check one connection spec once and print the resulting Connection as JSON.
    /// Exits 0 when every component succeeded, 1 when one failed, 2 when the spec is invalid.
    Check(CheckArgs),
    /// Run a scripted session against an in-process Kafka cluster and a tiny Schema Registry.
    Demo,
    /// Write the protocol's JSON Schema files and protocol.json (the method table) into a folder.
    Schema {
        #[arg(default_value = "schema")]
        dir: PathBuf,
    },
}

#[derive(clap::Args)]
struct CheckArgs {
    /// A JSON file holding a connection spec (`-` for stdin). Flags below build one instead.
    #[arg(long, conflicts_with_all = ["bootstrap_servers", "schema_registry"])]
    file: Option<PathBuf>,
    /// Kafka bootstrap servers, `host:port[,host:port...]`.
    #[arg(long)]
    bootstrap_servers: Option<String>,
    /// Schema Registry URL.
    #[arg(long)]
    schema_registry: Option<String>,
    /// Connect to Kafka without TLS.
    #[arg(long)]
    plaintext: bool,
    /// Seconds a check may take.
    #[arg(long, default_value_t = 10.0)]
    timeout: f64,
}

fn main() -> ExitCode {
    tracing_subscriber::fmt()
        .with_writer(std::io::stderr)
        .with_ansi(false)
        .with_env_filter(EnvFilter::try_from_default_env().unwrap_or_else(|_| EnvFilter::new("warn")))
        .init();
    let cli = Cli::parse();
    let runtime = match tokio::runtime::Builder::new_multi_thread().worker_threads(2).enable_all().build() {
        Ok(runtime) => runtime,
        Err(error) => {
            eprintln!("ide-sidecar: cannot start the async runtime: {error}");
            return ExitCode::FAILURE;
        }
    };
    let serve_default =
        || ServeArgs { max_concurrent_requests: ide_sidecar::server::DEFAULT_MAX_CONCURRENT_REQUESTS as u16 };
    let code = match cli.command.unwrap_or_else(|| Commands::Serve(serve_default())) {
        Commands::Serve(args) => runtime.block_on(serve(args)),
        Commands::Check(args) => runtime.block_on(check(args)),
        Commands::Demo => demo(),
        Commands::Schema { dir } => write_schema(&dir),
    };
    // Exit at once: blocking threads (stdin, a Kafka check in flight) must not delay the exit.
    std::process::exit(code)
}

async fn serve(args: ServeArgs) -> i32 {
    let eof = Arc::new(AtomicBool::new(false));
    let input = EofWatch { inner: tokio::io::stdin(), eof: eof.clone() };
    let config = ide_sidecar::server::ServeConfig { max_concurrent_requests: args.max_concurrent_requests.into() };
    let shutdown_requested =
        ide_sidecar::server::serve_backends(input, tokio::io::stdout(), ide_sidecar::server::real_backends(), config)
            .await;
    // 0 only for the orderly `shutdown` then `exit`; end of input or `exit` alone is 1.
    if shutdown_requested && !eof.load(Ordering::SeqCst) {
        0
    } else {
        1
    }
}

/// Notes when stdin reaches end of file, to tell `exit` from a vanished client.
struct EofWatch<R> {
    inner: R,
    eof: Arc<AtomicBool>,
}

impl<R: AsyncRead + Unpin> AsyncRead for EofWatch<R> {
    fn poll_read(mut self: Pin<&mut Self>, cx: &mut Context<'_>, buf: &mut ReadBuf<'_>) -> Poll<std::io::Result<()>> {
        let before = buf.filled().len();
        let poll = Pin::new(&mut self.inner).poll_read(cx, buf);
        if matches!(poll, Poll::Ready(Ok(()))) && buf.filled().len() == before && buf.remaining() > 0 {
            self.eof.store(true, Ordering::SeqCst);
        }
        poll
    }
}

async fn check(args: CheckArgs) -> i32 {
    let spec = match spec_from_args(&args) {
        Ok(spec) => spec,
        Err(message) => {
            eprintln!("ide-sidecar check: {message}");
            return 2;
        }
    };
    let options = InitializationOptions { check_timeout_seconds: args.timeout, ..Default::default() };
    if let Some((path, message)) = options.problems().into_iter().next() {
        eprintln!("ide-sidecar check: --timeout {message} ({path})");
        return 2;
    }
    let (events, _) = tokio::sync::mpsc::unbounded_channel();
    let ccloud = match ide_sidecar::server::real_ccloud(&options) {
        Ok(ccloud) => Arc::new(ccloud),
        Err(error) => {
            eprintln!("ide-sidecar check: {}", error.message);
            return 2;
        }
    };
    let manager = ConnectionManager::new(Settings::from(&options), ide_sidecar::server::real_checks(), ccloud, events);
    match manager.dry_run(spec).await {
        Ok(connection) => {
            println!("{}", serde_json::to_string_pretty(&connection).unwrap_or_default());
            let status = &connection.status;
            let states = [
                status.ccloud.as_ref().map(|c| c.state),
                status.kafka_cluster.as_ref().map(|k| k.state),
                status.schema_registry.as_ref().map(|s| s.state),
            ];
            let all_ok = states.iter().flatten().all(|state| *state == ConnectedState::Success);
            if all_ok && states.iter().any(Option::is_some) {
                0
            } else {
                1
            }
        }
        Err(ManagerError::Invalid(problems)) => {
            for problem in problems {
                eprintln!("ide-sidecar check: {}: {}", problem.source, problem.detail);
            }
            2
        }
        Err(error) => {
            eprintln!("ide-sidecar check: {error}");
            2
        }
    }
}

fn spec_from_args(args: &CheckArgs) -> Result<ConnectionSpec, String> {
    if let Some(path) = &args.file {
        let text = if path.as_os_str() == "-" {
            std::io::read_to_string(std::io::stdin()).map_err(|e| format!("cannot read stdin: {e}"))?
        } else {
            std::fs::read_to_string(path).map_err(|e| format!("cannot read {}: {e}", path.display()))?
        };
        let deserializer = &mut serde_json::Deserializer::from_str(&text);
        return serde_path_to_error::deserialize(deserializer).map_err(|e| format!("{}: {}", e.path(), e.inner()));
    }
    if args.bootstrap_servers.is_none() && args.schema_registry.is_none() {
        return Err("give --file, or --bootstrap-servers and/or --schema-registry".into());
    }
    Ok(ConnectionSpec {
        name: Some("check".into()),
        connection_type: Some(ConnectionType::Direct),
        kafka_cluster: args.bootstrap_servers.as_ref().map(|servers| KafkaClusterConfig {
            bootstrap_servers: Some(servers.clone()),
            ssl: args.plaintext.then(|| TlsConfig { enabled: Some(false), ..Default::default() }),
            ..Default::default()
        }),
        schema_registry: args
            .schema_registry
            .as_ref()
            .map(|uri| SchemaRegistryConfig { uri: Some(uri.clone()), ..Default::default() }),
        ..Default::default()
    })
}

fn demo() -> i32 {
    let sidecar = match std::env::current_exe() {
        Ok(path) => path,
        Err(error) => {
            eprintln!("ide-sidecar demo: cannot find my own binary: {error}");
            return 1;
        }
    };
    match demo::run(&sidecar, &mut |line| println!("{line}")) {
        Ok(()) => {
            println!("demo finished: ATTEMPTING -> SUCCESS -> FAILED -> SUCCESS, as pushed events");
            0
        }
        Err(error) => {
            eprintln!("ide-sidecar demo: {error}");
            1
        }
    }
}

fn write_schema(dir: &std::path::Path) -> i32 {
    if let Err(error) = std::fs::create_dir_all(dir) {
        eprintln!("ide-sidecar schema: cannot create {}: {error}", dir.display());
        return 1;
    }
    for (name, text) in ide_sidecar::protocol::schema_files() {
        if let Err(error) = std::fs::write(dir.join(&name), text) {
            eprintln!("ide-sidecar schema: cannot write {name}: {error}");
            return 1;
        }
    }
    println!("wrote {}", dir.display());
    0
}
