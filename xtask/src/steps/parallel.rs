//! Independent steps at once: the plugins' builds, and each platform's collection and bundle.
//! A batch is a run of consecutive steps of the plan that share no state: builds write only
//! their own plugin's folders (so plugins whose folders nest are built in turn), a platform's
//! lane (its wheelhouse, then its bundle) writes only its own folders, and the lane of the
//! platforms collected by download starts with their shared `resolve` step. At most `--jobs`
//! tasks run at once; a batch of builds is one process that runs at most `--jobs` builds at
//! once (`build::build_all`), with `--jobs 1` too. The results are merged in plan order, so a
//! run's report, outputs and bytes are those of the same steps run in turn; every failure of
//! a batch is reported.

use std::ops::Range;
use std::time::Instant;

use anyhow::{anyhow, Result};

use super::dispatch::run_step;
use super::exec::{each, Exec, Report, Timing};
use crate::plan::describe;
use crate::plan::Step;
use crate::python::plugins::folder_holds;

/// The batch of steps that starts at `i`: `i..i + 1` when step `i` runs alone.
pub fn batch_at(exec: &Exec, i: usize) -> Range<usize> {
    let steps = &exec.plan.steps;
    let alone = i..i + 1;
    let end = |ok: &dyn Fn(&Step) -> bool| i + steps[i..].iter().take_while(|s| ok(s)).count();
    match &steps[i] {
        // Builds share one batch process (see `build::build_all`) even when they run in turn.
        Step::Build { .. } => {
            let end = end(&|s| matches!(s, Step::Build { .. }));
            let paths: Vec<&str> = steps[i..end]
                .iter()
                .filter_map(|s| match s {
                    Step::Build { path, .. } => Some(path.as_str()),
                    _ => None,
                })
                .collect();
            if paths
                .iter()
                .enumerate()
                .any(|(a, p)| paths.iter().enumerate().any(|(b, q)| a != b && folder_holds(p, q)))
            {
                alone
            } else {
                i..end
            }
        }
        _ if exec.ws.jobs < 2 => alone,
        Step::Resolve { .. } | Step::Wheelhouse { .. } => {
            i..end(&|s| {
                matches!(
                    s,
                    Step::Resolve { .. } | Step::Wheelhouse { .. } | Step::Bundle { .. } | Step::Sources { .. }
                )
            })
        }
        _ => alone,
    }
}

/// The batch's tasks, each a list of steps run in turn: for a collection, the
/// download platforms' lane (`resolve`, then their wheelhouses and bundles), one lane per
/// other platform, and the sources bundle.
fn tasks(exec: &Exec, batch: Range<usize>) -> Vec<Vec<usize>> {
    let steps = &exec.plan.steps;
    let locked = super::resolve::locked_platforms(exec.plan);
    let downloaded = |platform: &str| locked.iter().any(|p| p == platform);
    let mut download_lane = Vec::new();
    let mut lanes: Vec<(String, Vec<usize>)> = Vec::new();
    let mut sources = Vec::new();
    for i in batch {
        let platform = match &steps[i] {
            Step::Resolve { .. } => {
                download_lane.push(i);
                continue;
            }
            Step::Sources { .. } => {
                sources.push(i);
                continue;
            }
            Step::Wheelhouse { platform, .. } | Step::Bundle { platform, .. } => platform.clone(),
            _ => unreachable!("a collection batch holds collection steps only"),
        };
        if downloaded(&platform) {
            download_lane.push(i);
        } else if let Some((_, lane)) = lanes.iter_mut().find(|(p, _)| *p == platform) {
            lane.push(i);
        } else {
            lanes.push((platform, vec![i]));
        }
    }
    let mut tasks: Vec<Vec<usize>> = Vec::new();
    if !download_lane.is_empty() {
        tasks.push(download_lane);
    }
    tasks.extend(lanes.into_iter().map(|(_, lane)| lane));
    if !sources.is_empty() {
        tasks.push(sources);
    }
    tasks
}

/// What one step of a batch gave.
struct Done {
    report: Report,
    result: Result<()>,
    seconds: f64,
}

/// Run the batch's tasks on up to `--jobs` threads, then merge what they did in plan order.
/// A task stops at its first failure; the others run to their end, and every failure is
/// reported.
pub fn run(exec: &Exec, batch: Range<usize>, report: &mut Report) -> Result<()> {
    if matches!(exec.plan.steps[batch.start], Step::Build { .. }) {
        return run_builds(exec, batch, report);
    }
    let tasks = tasks(exec, batch.clone());
    let done = each(exec.ws.jobs, tasks.len(), |t| run_task(exec, &tasks[t]));
    merge(exec, done.into_iter().flatten().collect(), report)
}

/// The builds of a batch, as one (`build::build_all`): a line per build while they run.
fn run_builds(exec: &Exec, batch: Range<usize>, report: &mut Report) -> Result<()> {
    let total = exec.plan.steps.len();
    let mut jobs = Vec::new();
    let mut shown = Vec::new();
    for i in batch.clone() {
        let Step::Build {
            plugin,
            path,
            version,
            wheel_excludes,
            released,
        } = &exec.plan.steps[i]
        else {
            unreachable!("a build batch holds builds only")
        };
        crate::ops::faults::point(&format!("before-step-{}", i + 1));
        shown.push(crate::ops::ui::step(format!(
            "==> [{}/{total}] {}",
            i + 1,
            describe(&exec.plan.steps[i])
        )));
        jobs.push(super::build::Job {
            plugin,
            path,
            version,
            wheel_excludes,
            released: released.as_ref(),
        });
    }
    if crate::ops::signals::interrupted() {
        return Err(anyhow!("interrupted (Ctrl-C or SIGTERM) before the builds"));
    }
    let built = super::build::build_all(exec, &jobs)?;
    drop(shown);
    let done = batch
        .zip(built)
        .map(|(i, b)| {
            crate::ops::faults::point(&format!("after-step-{}", i + 1));
            let done = Done {
                report: b.report,
                result: b.result,
                seconds: b.seconds,
            };
            (i, done)
        })
        .collect();
    merge(exec, done, report)
}

/// Run a task's steps in turn, up to the first that fails.
fn run_task(exec: &Exec, task: &[usize]) -> Vec<(usize, Done)> {
    let total = exec.plan.steps.len();
    let mut done = Vec::new();
    for &i in task {
        let step = &exec.plan.steps[i];
        let shown = crate::ops::ui::step(format!("==> [{}/{total}] {}", i + 1, describe(step)));
        let started = Instant::now();
        crate::ops::faults::point(&format!("before-step-{}", i + 1));
        let mut own = Report::default();
        let result = if crate::ops::signals::interrupted() {
            Err(anyhow!("interrupted (Ctrl-C or SIGTERM) before this step"))
        } else {
            run_step(exec, step, &mut own).map(|_| ())
        };
        crate::ops::faults::point(&format!("after-step-{}", i + 1));
        drop(shown);
        let failed = result.is_err();
        done.push((
            i,
            Done {
                report: own,
                result,
                seconds: started.elapsed().as_secs_f64(),
            },
        ));
        if failed {
            break;
        }
    }
    done
}

/// Merge what the steps of a batch gave, in plan order.
fn merge(exec: &Exec, mut done: Vec<(usize, Done)>, report: &mut Report) -> Result<()> {
    let total = exec.plan.steps.len();
    done.sort_by_key(|(i, _)| *i);
    let mut failures = Vec::new();
    for (i, d) in done {
        let label = describe(&exec.plan.steps[i]);
        match d.result {
            Ok(()) => {
                report.built.extend(d.report.built);
                report.artifacts.extend(d.report.artifacts);
                report.timings.push(Timing {
                    step: label,
                    seconds: d.seconds,
                });
            }
            Err(e) => failures.push(format!("step {}/{total} failed: {label}: {e:#}", i + 1)),
        }
    }
    match failures.len() {
        0 => Ok(()),
        1 => Err(anyhow!("{}", failures.remove(0))),
        n => Err(anyhow!("{n} steps failed:\n\n{}", failures.join("\n\n"))),
    }
}
