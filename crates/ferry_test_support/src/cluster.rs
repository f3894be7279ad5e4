//! The test process's shared PostgreSQL server.

use std::path::{Path, PathBuf};
use std::sync::OnceLock;
use std::sync::mpsc;
use std::thread;
use std::time::Duration;

use ferry_engine::pg::{
    ClusterError, EphemeralCluster, EphemeralOptions, InitOptions, PgBinaries, Teardown,
};

use crate::sys;

/// A login superuser that authenticates with [`PASSWORD`] over TCP.
pub const PASSWORD_ROLE: &str = "ferry_pw";
/// The password of [`PASSWORD_ROLE`].
pub const PASSWORD: &str = "ferry-test-pw";

/// The server all tests of this process share. Get it with [`cluster`].
#[derive(Debug)]
pub struct TestCluster {
    server: EphemeralCluster,
    bins: PgBinaries,
}

static CLUSTER: OnceLock<TestCluster> = OnceLock::new();
static TEARDOWN: OnceLock<Teardown> = OnceLock::new();

/// The shared server, started on first use.
///
/// # Panics
/// If PostgreSQL cannot be found or started; the message says why and what to do.
pub fn cluster() -> &'static TestCluster {
    CLUSTER.get_or_init(|| match start() {
        Ok(cluster) => cluster,
        Err(e) => panic!("the test PostgreSQL server did not start: {e}"),
    })
}

fn start() -> Result<TestCluster, ClusterError> {
    let bins = PgBinaries::find()?;
    let opts = EphemeralOptions {
        listen_addresses: Some("127.0.0.1".to_owned()),
        port: None,
        init: InitOptions {
            hba_lines: vec![
                "local all all trust".to_owned(),
                "host all all 127.0.0.1/32 scram-sha-256".to_owned(),
            ],
            settings: Vec::new(),
        },
        settings: vec![("max_connections".to_owned(), "100".to_owned())],
        die_with_parent: true,
        timeout: Duration::from_secs(60),
    };
    // PR_SET_PDEATHSIG fires when the spawning *thread* exits, so spawn from a thread that
    // never does: it parks until the process ends.
    let (tx, rx) = mpsc::channel();
    let thread_bins = bins.clone();
    thread::Builder::new()
        .name("ferry-test-postgres".to_owned())
        .spawn(move || {
            let started = EphemeralCluster::start_with(&thread_bins, opts);
            let ok = started.is_ok();
            let _ = tx.send(started);
            if ok {
                loop {
                    thread::park();
                }
            }
        })
        .map_err(|e| ClusterError::Spawn {
            command: "a thread for the test server".to_owned(),
            source: e,
        })?;
    let server = rx.recv().map_err(|_| ClusterError::Spawn {
        command: "the test server thread".to_owned(),
        source: std::io::Error::other("it ended without a result"),
    })??;
    let _ = TEARDOWN.set(server.teardown());
    sys::at_exit(teardown_at_exit);

    let mut client = server.connect("postgres")?;
    client
        .batch_execute(&format!(
            "CREATE ROLE {PASSWORD_ROLE} LOGIN SUPERUSER PASSWORD '{PASSWORD}'"
        ))
        .map_err(|e| ClusterError::Connect {
            target: server.url("postgres"),
            source: e,
        })?;
    Ok(TestCluster { server, bins })
}

extern "C" fn teardown_at_exit() {
    if let Some(teardown) = TEARDOWN.get() {
        teardown.run();
    }
}

impl TestCluster {
    /// The directory holding the server's unix socket.
    pub fn socket_dir(&self) -> PathBuf {
        self.server.socket_dir()
    }

    /// The port: of the socket file and of TCP on 127.0.0.1.
    pub fn port(&self) -> u16 {
        self.server.port()
    }

    pub fn bins(&self) -> &PgBinaries {
        &self.bins
    }

    pub fn data_dir(&self) -> &Path {
        self.server.data_dir()
    }

    /// The server itself.
    pub fn server(&self) -> &EphemeralCluster {
        &self.server
    }

    /// A driver configuration for `dbname` over the socket, as `postgres` without a password.
    pub fn config(&self, dbname: &str) -> postgres::Config {
        self.server.config(dbname)
    }

    /// A socket URL for `dbname`, as `postgres` without a password.
    pub fn url(&self, dbname: &str) -> String {
        self.server.url(dbname)
    }

    /// A TCP URL for `dbname` as [`PASSWORD_ROLE`], with [`PASSWORD`].
    pub fn tcp_url_with_password(&self, dbname: &str) -> String {
        format!(
            "postgres://{PASSWORD_ROLE}:{PASSWORD}@127.0.0.1:{}/{dbname}",
            self.port()
        )
    }

    /// A new connection to the `postgres` database as the `postgres` superuser.
    pub fn admin_client(&self) -> postgres::Client {
        self.config("postgres")
            .connect(postgres::NoTls)
            .unwrap_or_else(|e| panic!("could not connect to the test server: {e}"))
    }
}
