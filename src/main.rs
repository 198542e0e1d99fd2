//! Entry point: parses the command line, sets up logging and runs the chosen command.

use clap::Parser as _;
use dienbien_dispatch::cli::{Cli, Command};
use dienbien_dispatch::commands::{self, Setup};
use tracing_subscriber::EnvFilter;

/// Default log filter: our own INFO, and only warnings from the GPU and windowing stacks.
const DEFAULT_LOG_FILTER: &str = "info,wgpu_core=warn,wgpu_hal=warn,wgpu_hal::gles=off,naga=warn,winit=warn,eframe=warn,egui_wgpu=warn,reqwest=warn,hyper=warn";

fn main() -> std::process::ExitCode {
    let filter = EnvFilter::try_from_env("DISPATCH_LOG")
        .unwrap_or_else(|_| EnvFilter::new(DEFAULT_LOG_FILTER));
    tracing_subscriber::fmt()
        .with_env_filter(filter)
        .with_writer(std::io::stderr)
        .init();
    let cli = Cli::parse();
    match run(cli) {
        Ok(()) => std::process::ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("error: {}", commands::error_text(&e));
            std::process::ExitCode::FAILURE
        }
    }
}

fn run(cli: Cli) -> anyhow::Result<()> {
    match &cli.command {
        None => commands::console(Setup::resolve(&cli, false)?),
        Some(Command::Cameras(command)) => commands::cameras(command, &Setup::resolve(&cli, true)?),
        Some(Command::Screenshot(args)) => commands::screenshot(args, Setup::resolve(&cli, true)?),
        Some(Command::Probe(args)) => commands::probe(args),
        Some(Command::Detect(args)) => commands::detect(args, &Setup::resolve(&cli, true)?),
        Some(Command::Analyze(args)) => commands::analyze(args, &Setup::resolve(&cli, true)?),
        Some(Command::Rules(command)) => commands::rules(command),
        Some(Command::Signals(command)) => commands::signals(command, &Setup::resolve(&cli, true)?),
        Some(Command::Evidence(command)) => {
            commands::evidence(command, &Setup::resolve(&cli, true)?)
        }
        Some(Command::Library(command)) => commands::library(command, &Setup::resolve(&cli, true)?),
        Some(Command::Counts(command)) => commands::counts(command, &Setup::resolve(&cli, true)?),
        Some(Command::Users(command)) => commands::users(command, &Setup::resolve(&cli, true)?),
        Some(Command::Review(command)) => commands::review(command, &Setup::resolve(&cli, true)?),
        Some(Command::Record(args)) => commands::record(args, &Setup::resolve(&cli, true)?),
        Some(Command::Recordings(command)) => {
            commands::recordings(command, &Setup::resolve(&cli, true)?)
        }
        Some(Command::Audit(command)) => commands::audit(command, &Setup::resolve(&cli, true)?),
        Some(Command::Serve(args)) => commands::serve(args, &Setup::resolve(&cli, true)?),
        Some(Command::Login) => commands::login(&Setup::resolve(&cli, true)?),
        Some(Command::Logout) => commands::logout(&Setup::resolve(&cli, true)?),
        Some(Command::Plates(command)) => commands::plates(command, &Setup::resolve(&cli, true)?),
        Some(Command::Watchlist(command)) => {
            commands::watchlist(command, &Setup::resolve(&cli, true)?)
        }
        Some(Command::Ptz(command)) => commands::ptz(command, &Setup::resolve(&cli, true)?),
        Some(Command::Engines { json }) => commands::engines(*json, &Setup::resolve(&cli, true)?),
        Some(Command::Geometry(command)) => {
            commands::geometry(command, &Setup::resolve(&cli, true)?)
        }
    }
}
