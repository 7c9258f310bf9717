//! `lantern-fuzz`: a fuzzing harness on stable Rust for every input parser
//! Lantern has (see `fuzz/README.md`).
//!
//! The parent process makes no parse itself. For each target it runs
//! batches of inputs in a child process (this binary, `worker`), started
//! under `prlimit --as` so that an attempt to allocate gigabytes is an
//! abort, not a slow success, and killed when a batch runs past its time.
//! Inputs are made from the seed and their index, so a child needs no
//! input from the parent and any input can be made again. A panic is
//! caught in the child and reported with its index; a batch whose child
//! aborts or times out is run again one input at a time to find the
//! input, which is saved to the crashes directory.
//!
//! ```text
//! lantern-fuzz run [--targets figures,dump,...] [--execs 20000] [--seed 1]
//!                  [--batch 2000] [--memory-mb 1024] [--timeout-secs 60]
//!                  [--crashes fuzz/crashes] [--jobs 2]
//! lantern-fuzz input TARGET SEED INDEX > FILE    # write one input
//! lantern-fuzz replay TARGET FILE                # run one input here
//! ```

mod mutate;
mod targets;

use std::io::{BufRead, Write};
use std::path::{Path, PathBuf};
use std::process::{Command, ExitCode, Stdio};
use std::time::{Duration, Instant};

use targets::{TARGETS, Target};

fn main() -> ExitCode {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let result = match args.first().map(String::as_str) {
        Some("run") => run(&args[1..]),
        Some("worker") => worker(&args[1..]),
        Some("input") => input(&args[1..]),
        Some("replay") => replay(&args[1..]),
        _ => Err(format!(
            "usage: lantern-fuzz run [--targets {}] [--execs N] [--seed S] [--batch N] \
             [--memory-mb M] [--timeout-secs T] [--crashes DIR] [--jobs N]\n       \
             lantern-fuzz input TARGET SEED INDEX\n       lantern-fuzz replay TARGET FILE",
            TARGETS.join(",")
        )),
    };
    match result {
        Ok(true) => ExitCode::SUCCESS,
        Ok(false) => ExitCode::FAILURE,
        Err(message) => {
            eprintln!("lantern-fuzz: {message}");
            ExitCode::from(2)
        }
    }
}

/// Options of `run`.
struct Options {
    targets: Vec<String>,
    execs: u64,
    seed: u64,
    batch: u64,
    memory_mb: u64,
    timeout: Duration,
    crashes: PathBuf,
    jobs: usize,
}

fn options(args: &[String]) -> Result<Options, String> {
    let mut o = Options {
        targets: TARGETS.iter().map(|t| t.to_string()).collect(),
        execs: 20_000,
        seed: 1,
        batch: 2_000,
        memory_mb: 1024,
        timeout: Duration::from_secs(120),
        crashes: targets::root().join("fuzz/crashes"),
        jobs: 1,
    };
    let mut it = args.iter();
    while let Some(flag) = it.next() {
        let value = it
            .next()
            .ok_or_else(|| format!("{flag} needs a value"))?
            .as_str();
        let number = || {
            value
                .replace('_', "")
                .parse::<u64>()
                .map_err(|_| format!("{flag} {value}: not a number"))
        };
        match flag.as_str() {
            "--targets" => o.targets = value.split(',').map(str::to_string).collect(),
            "--execs" => o.execs = number()?,
            "--seed" => o.seed = number()?,
            "--batch" => o.batch = number()?.max(1),
            "--memory-mb" => o.memory_mb = number()?,
            "--timeout-secs" => o.timeout = Duration::from_secs(number()?),
            "--crashes" => o.crashes = PathBuf::from(value),
            "--jobs" => o.jobs = (number()? as usize).max(1),
            _ => return Err(format!("unknown option {flag}")),
        }
    }
    for t in &o.targets {
        if !TARGETS.contains(&t.as_str()) {
            return Err(format!(
                "no target {t:?}; the targets are {}",
                TARGETS.join(", ")
            ));
        }
    }
    Ok(o)
}

/// What one target's run found.
#[derive(Default)]
struct Tally {
    execs: u64,
    panics: u64,
    aborts: u64,
    timeouts: u64,
}

/// How a child ended.
enum Ending {
    /// Exited; its stdout lines.
    Exited {
        code: Option<i32>,
        lines: Vec<String>,
        stderr: String,
    },
    /// Killed for running past its time.
    TimedOut,
}

fn run(args: &[String]) -> Result<bool, String> {
    let o = options(args)?;
    let prlimit = Command::new("prlimit")
        .arg("--version")
        .stdout(Stdio::null())
        .status()
        .is_ok_and(|s| s.success());
    if !prlimit {
        return Err("prlimit (util-linux) is needed to run children under a memory limit".into());
    }
    std::fs::create_dir_all(&o.crashes)
        .map_err(|e| format!("cannot create {}: {e}", o.crashes.display()))?;
    println!(
        "lantern-fuzz: seed {}, {} executions per target, batches of {}, memory limit {} MB, batch timeout {} s",
        o.seed,
        o.execs,
        o.batch,
        o.memory_mb,
        o.timeout.as_secs()
    );
    for name in &o.targets {
        // A missing seed is reported once, up front.
        Target::load(name)?;
    }
    let started = Instant::now();
    let next = std::sync::atomic::AtomicUsize::new(0);
    let results: std::sync::Mutex<Vec<Result<bool, String>>> = std::sync::Mutex::new(Vec::new());
    std::thread::scope(|scope| {
        for _ in 0..o.jobs.min(o.targets.len()) {
            scope.spawn(|| {
                loop {
                    let i = next.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
                    let Some(name) = o.targets.get(i) else { break };
                    let result = fuzz_target(&o, name);
                    if let Ok(mut r) = results.lock() {
                        r.push(result);
                    }
                }
            });
        }
    });
    let results = results
        .into_inner()
        .map_err(|_| "a fuzzing thread failed".to_string())?;
    let mut clean = true;
    for r in results {
        clean &= r?;
    }
    println!(
        "lantern-fuzz: {} in {:.1} s",
        if clean {
            "clean"
        } else {
            "FAILURES (inputs saved)"
        },
        started.elapsed().as_secs_f64()
    );
    Ok(clean)
}

/// Fuzz one target for the run's executions; print its line; whether it
/// was clean.
fn fuzz_target(o: &Options, name: &str) -> Result<bool, String> {
    let t0 = Instant::now();
    let mut tally = Tally::default();
    let mut from = 0;
    while from < o.execs {
        let count = o.batch.min(o.execs - from);
        match child(o, name, from, count)? {
            Ending::Exited {
                code: Some(0),
                lines,
                ..
            } => {
                tally.execs += count;
                for line in lines {
                    if let Some(rest) = line.strip_prefix("panic ") {
                        let (index, message) = rest.split_once(' ').unwrap_or((rest, ""));
                        let index: u64 = index.parse().unwrap_or(0);
                        tally.panics += 1;
                        save(o, name, index, "panic", message)?;
                    }
                }
            }
            _ => {
                // An abort or a timeout: find the input(s) one at a time.
                for index in from..from + count {
                    tally.execs += 1;
                    match child(o, name, index, 1)? {
                        Ending::Exited {
                            code: Some(0),
                            lines,
                            ..
                        } => {
                            for line in lines {
                                if let Some(rest) = line.strip_prefix("panic ") {
                                    tally.panics += 1;
                                    let message = rest.split_once(' ').map_or("", |p| p.1);
                                    save(o, name, index, "panic", message)?;
                                }
                            }
                        }
                        Ending::Exited { code, stderr, .. } => {
                            tally.aborts += 1;
                            let first = stderr.lines().next().unwrap_or_default().to_string();
                            save(o, name, index, "abort", &format!("exit {code:?}: {first}"))?;
                        }
                        Ending::TimedOut => {
                            tally.timeouts += 1;
                            save(o, name, index, "timeout", "")?;
                        }
                    }
                }
            }
        }
        from += count;
    }
    let secs = t0.elapsed().as_secs_f64();
    println!(
        "{name:<14} {:>10} execs  {:>3} panics  {:>3} aborts  {:>3} timeouts  {:>7.1} s  {:>8.0} execs/s",
        tally.execs,
        tally.panics,
        tally.aborts,
        tally.timeouts,
        secs,
        tally.execs as f64 / secs.max(1e-9)
    );
    Ok(tally.panics + tally.aborts + tally.timeouts == 0)
}

/// Run inputs `from..from + count` of a target in a child under the limits.
fn child(o: &Options, name: &str, from: u64, count: u64) -> Result<Ending, String> {
    let exe = std::env::current_exe().map_err(|e| format!("cannot find myself: {e}"))?;
    // One input gets the whole batch's time when isolating, so that a slow
    // input is a timeout in both.
    let mut process = Command::new("prlimit")
        .arg(format!("--as={}", o.memory_mb << 20))
        .arg("--core=0")
        .arg(exe)
        .args([
            "worker",
            name,
            &o.seed.to_string(),
            &from.to_string(),
            &count.to_string(),
        ])
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .map_err(|e| format!("cannot start a worker: {e}"))?;
    let stdout = process.stdout.take();
    let stderr = process.stderr.take();
    let out_reader = std::thread::spawn(move || {
        stdout
            .map(|s| {
                std::io::BufReader::new(s)
                    .lines()
                    .map_while(Result::ok)
                    .collect::<Vec<_>>()
            })
            .unwrap_or_default()
    });
    let err_reader = std::thread::spawn(move || {
        let mut text = String::new();
        if let Some(mut s) = stderr {
            let _ = std::io::Read::read_to_string(&mut s, &mut text);
        }
        text
    });
    let deadline = Instant::now() + o.timeout;
    let status = loop {
        match process.try_wait() {
            Ok(Some(status)) => break Some(status),
            Ok(None) if Instant::now() > deadline => {
                let _ = process.kill();
                let _ = process.wait();
                break None;
            }
            Ok(None) => std::thread::sleep(Duration::from_millis(5)),
            Err(e) => return Err(format!("waiting for a worker: {e}")),
        }
    };
    let lines = out_reader.join().unwrap_or_default();
    let stderr = err_reader.join().unwrap_or_default();
    Ok(match status {
        None => Ending::TimedOut,
        Some(status) => {
            let done = lines.iter().any(|l| l == &format!("done {count}"));
            Ending::Exited {
                code: if done {
                    status.code()
                } else {
                    status.code().filter(|c| *c != 0).or(Some(-1))
                },
                lines,
                stderr,
            }
        }
    })
}

/// Save a failing input and say how to run it again.
fn save(o: &Options, name: &str, index: u64, kind: &str, message: &str) -> Result<(), String> {
    let target = Target::load(name)?;
    let bytes = target.input(o.seed, index);
    let path = o
        .crashes
        .join(format!("{name}-{kind}-seed{}-{index}.bin", o.seed));
    std::fs::write(&path, &bytes).map_err(|e| format!("cannot write {}: {e}", path.display()))?;
    let message: String = message.chars().take(300).collect();
    println!(
        "  {kind} in {name}, input {index} ({} bytes): {message}\n    saved to {}; run it again with `lantern-fuzz replay {name} {}`",
        bytes.len(),
        path.display(),
        path.display()
    );
    Ok(())
}

/// The child: run inputs `from..from + count`, reporting each panic.
fn worker(args: &[String]) -> Result<bool, String> {
    let [name, seed, from, count] = args else {
        return Err("worker TARGET SEED FROM COUNT".into());
    };
    let parse = |s: &String| s.parse::<u64>().map_err(|_| format!("{s}: not a number"));
    let (seed, from, count) = (parse(seed)?, parse(from)?, parse(count)?);
    let target = Target::load(name)?;
    std::panic::set_hook(Box::new(|_| {}));
    let mut out = std::io::stdout().lock();
    for index in from..from + count {
        let input = target.input(seed, index);
        let outcome = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| target.run(&input)));
        if let Err(payload) = outcome {
            let message = payload
                .downcast_ref::<&str>()
                .map(|s| s.to_string())
                .or_else(|| payload.downcast_ref::<String>().cloned())
                .unwrap_or_default()
                .replace('\n', " ");
            let _ = writeln!(out, "panic {index} {message}");
            let _ = out.flush();
        }
    }
    let _ = writeln!(out, "done {count}");
    Ok(true)
}

/// `input TARGET SEED INDEX`: write one input to standard output.
fn input(args: &[String]) -> Result<bool, String> {
    let [name, seed, index] = args else {
        return Err("input TARGET SEED INDEX".into());
    };
    let parse = |s: &String| s.parse::<u64>().map_err(|_| format!("{s}: not a number"));
    let target = Target::load(name)?;
    let bytes = target.input(parse(seed)?, parse(index)?);
    std::io::stdout()
        .write_all(&bytes)
        .map_err(|e| e.to_string())?;
    Ok(true)
}

/// `replay TARGET FILE`: run one saved input in this process (a panic or
/// an abort shows itself as usual).
fn replay(args: &[String]) -> Result<bool, String> {
    let [name, file] = args else {
        return Err("replay TARGET FILE".into());
    };
    let target = Target::load(name)?;
    let bytes = std::fs::read(Path::new(file)).map_err(|e| format!("{file}: {e}"))?;
    let t0 = Instant::now();
    target.run(&bytes);
    println!(
        "{name}: ran {} bytes in {:.3} s without a panic",
        bytes.len(),
        t0.elapsed().as_secs_f64()
    );
    Ok(true)
}
