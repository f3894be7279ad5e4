//! The test process's shared PostgreSQL server.

use std::env;
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

/// A directory holding `initdb`, `pg_ctl` and `postgres` of the PostgreSQL to test against
/// instead of the machine's own (`scripts/test.sh` points it at each extra major that
/// `scripts/setup.sh` installs). Set on purpose, so binaries missing there fail the tests
/// rather than fall back to the machine's.
pub const FERRY_TEST_PG_BIN: &str = "FERRY_TEST_PG_BIN";

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
    CLUSTER.get_or_init(|| {
        let bins = binaries().unwrap_or_else(|e| panic!("{e}"));
        match start(bins) {
            Ok(cluster) => cluster,
            Err(e) => panic!("the test PostgreSQL server did not start: {e}"),
        }
    })
}

/// The server binaries to test with: [`FERRY_TEST_PG_BIN`]'s, else the machine's.
fn binaries() -> Result<PgBinaries, String> {
    let Some(dir) = env::var_os(FERRY_TEST_PG_BIN).filter(|v| !v.is_empty()) else {
        return PgBinaries::find()
            .map_err(|e| format!("the test PostgreSQL server did not start: {e}"));
    };
    let dir = PathBuf::from(dir);
    PgBinaries::at(&dir).map_err(|e| {
        let why = match e {
            ClusterError::NotABinDir { reason, .. } => reason,
            other => other.to_string(),
        };
        format!(
            "{FERRY_TEST_PG_BIN}={} is not a usable PostgreSQL bin directory ({why}); run \
             `scripts/setup.sh` to install the PostgreSQL majors the tests run on \
             (`scripts/test.sh` says where they go), or unset {FERRY_TEST_PG_BIN} to test \
             against the machine's PostgreSQL",
            dir.display()
        )
    })
}

fn start(bins: PgBinaries) -> Result<TestCluster, ClusterError> {
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
    // Before PostgreSQL 14 passwords are stored as md5 by default, which a scram-sha-256
    // line in pg_hba.conf rejects.
    client
        .batch_execute(&format!(
            "SET password_encryption = 'scram-sha-256';
             CREATE ROLE {PASSWORD_ROLE} LOGIN SUPERUSER PASSWORD '{PASSWORD}'"
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

    /// The server's major version: 15 for 15.14.
    pub fn major(&self) -> u32 {
        self.bins.major
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
