//! The binary as a user runs it, in a folder of its own: its database, home and config there,
//! never the machine's (`DATABASE_URL` and `DISPATCH_CONFIG` removed).

use std::path::PathBuf;
use std::process::{Command, Output};

pub struct CliEnv {
    pub dir: tempfile::TempDir,
    /// Environment variables every run gets.
    vars: Vec<(String, String)>,
    /// A database elsewhere (a console's under test), instead of the folder's own.
    database: Option<PathBuf>,
}

impl CliEnv {
    /// A folder whose config keeps every recording whatever the disk's free space: the
    /// recorder's low-disk pruning (tested on its own in tests/recording.rs) must not delete
    /// a test's segments on a nearly full build machine.
    pub fn new() -> Self {
        let env = Self {
            dir: tempfile::tempdir().unwrap(),
            vars: Vec::new(),
            database: None,
        };
        let config = env.path("home/config/dienbien-dispatch");
        std::fs::create_dir_all(&config).unwrap();
        std::fs::write(
            config.join("config.toml"),
            "[recording]\nmin_free_percent = 0.0\n",
        )
        .unwrap();
        env
    }

    /// Every run uses the database at `path`.
    pub fn with_database(mut self, path: PathBuf) -> Self {
        self.database = Some(path);
        self
    }

    /// Every run gets `name=value` too.
    pub fn with_env(mut self, name: &str, value: &str) -> Self {
        self.vars.push((name.to_owned(), value.to_owned()));
        self
    }

    /// Every run finds the models of the repository (`resources/models`).
    pub fn with_models(self) -> Self {
        let models = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("resources/models");
        self.with_env("DISPATCH_MODELS_DIR", &models.to_string_lossy())
    }

    pub fn path(&self, name: &str) -> PathBuf {
        self.dir.path().join(name)
    }

    pub fn db(&self) -> PathBuf {
        self.database
            .clone()
            .unwrap_or_else(|| self.path("dispatch.db"))
    }

    /// Writes `text` to `name` in the folder.
    pub fn file(&self, name: &str, text: &str) -> PathBuf {
        let path = self.path(name);
        std::fs::write(&path, text).unwrap();
        path
    }

    pub fn command(&self, args: &[&str]) -> Command {
        let home = self.path("home");
        let mut command = Command::new(env!("CARGO_BIN_EXE_dienbien-dispatch"));
        command
            .arg("--db")
            .arg(self.db())
            .args(args)
            .env("HOME", &home)
            .env("XDG_CONFIG_HOME", home.join("config"))
            .env("XDG_DATA_HOME", home.join("data"))
            .env("XDG_CACHE_HOME", home.join("cache"))
            .env_remove("DATABASE_URL")
            .env_remove("DISPATCH_CONFIG")
            .env_remove("DISPATCH_USER")
            .env_remove("DISPATCH_PASSWORD")
            .env_remove("DISPATCH_NEW_PASSWORD");
        for (name, value) in &self.vars {
            command.env(name, value);
        }
        command
    }

    pub fn run(&self, args: &[&str]) -> Output {
        self.command(args).output().unwrap()
    }

    /// Runs, expecting success; the standard output.
    pub fn ok(&self, args: &[&str]) -> String {
        let out = self.run(args);
        assert!(
            out.status.success(),
            "{args:?} failed: {}",
            String::from_utf8_lossy(&out.stderr)
        );
        String::from_utf8(out.stdout).unwrap()
    }

    /// Runs `record` for `camera` from `source` (a file or a URL) into the folder's
    /// `recordings`, in segments of `segment_secs`, for `duration_secs`, expecting success; the
    /// recordings folder.
    pub fn record(
        &self,
        camera: &str,
        source: &str,
        segment_secs: u32,
        duration_secs: u32,
    ) -> PathBuf {
        let recordings = self.path("recordings");
        self.ok(&[
            "record",
            "--camera",
            camera,
            "--source",
            source,
            "--dir",
            &recordings.to_string_lossy(),
            "--segment-secs",
            &segment_secs.to_string(),
            "--duration-secs",
            &duration_secs.to_string(),
        ]);
        recordings
    }

    /// Runs, expecting failure; the standard error.
    pub fn fails(&self, args: &[&str]) -> String {
        let out = self.run(args);
        assert!(!out.status.success(), "{args:?} should fail");
        String::from_utf8(out.stderr).unwrap()
    }
}
