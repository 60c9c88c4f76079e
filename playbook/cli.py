"""``playbook`` command line: argument parsing only; the work happens in runner, io and demo."""

from __future__ import annotations

import argparse
import json
import sys
from collections.abc import Sequence
from pathlib import Path

from playbook import __version__, config

EPILOG = """\
examples:
  playbook run                                   # every notebook on the bundled demo data
  playbook run mmm ab_test --data data/acme -p smoke=false -p mmm.draws=1000
  playbook run --config params/weekly.yaml --jobs 2
  playbook run --config params/regions.yaml --scheduler tls://dask.internal:8786 --keep 8
  playbook list                                  # notebooks and their parameters
  playbook validate --data data/acme             # check the input files only
  playbook validate --config params/team.yaml    # …and the settings that name data, and who can run
  playbook demo-data /tmp/demo --seed 3 --scale 0.5

exit codes: 0 all notebooks succeeded · 1 a notebook failed (the others still ran), or stale data
            with --fail-on-stale · 2 usage or data-contract error, data short of a notebook's rule for
            its settings, or the output folder is in use by another run (reported before anything runs)
"""


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="playbook",
        description="Run the marketing-analytics playbook: parameterized notebooks → stakeholder HTML reports.",
        epilog=EPILOG,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    parser.add_argument("--version", action="version", version=f"playbook {__version__}")
    sub = parser.add_subparsers(dest="command", metavar="COMMAND")

    run = sub.add_parser(
        "run",
        help="execute notebooks with papermill and render their reports",
        description="Execute notebooks headless with papermill, render stakeholder HTML, write index.html and manifest.json.",
        formatter_class=argparse.RawDescriptionHelpFormatter,
        epilog="-p values are parsed with the type the notebook declares: -p smoke=false is False, "
        "-p controls=a,b is a list, NAME.KEY=VALUE targets one notebook.\n\n" + EPILOG.split("\n\n", 1)[1],
    )
    run.add_argument("names", nargs="*", metavar="NAME",
                     help="notebooks to run (default: all; producers of a hand-off run before its consumers)")
    run.add_argument("--data", metavar="DIR", help=f"input data folder (default: bundled demo data, {config.DEMO_DATA_DIR})")
    run.add_argument("--out", metavar="DIR", help="output folder (default: reports/<YYYY-MM-DD_HHMMSS>/)")
    run.add_argument("-p", "--param", action="append", default=[], metavar="KEY=VALUE", dest="params",
                     help="set a notebook parameter (repeatable); NAME.KEY=VALUE for one notebook only")
    run.add_argument("--config", metavar="FILE",
                     help="YAML run config: data, out, jobs, timeout, run, parameters, notebooks, or a batch of reports "
                     "(reports: notebook, data, parameters, grid, name); also scheduler, keep, fail_on_stale, require_all, compare")
    run.add_argument("--jobs", type=int, metavar="N",
                     help="notebooks run in parallel worker processes (default 1); a consumer of a hand-off "
                     "never starts before its producer finished")
    run.add_argument("--scheduler", metavar="ADDRESS",
                     help="run each notebook on an existing Dask cluster: tcp://127.0.0.1:PORT on this machine, "
                     "tls://HOST:PORT beyond it (certificates from the Dask configuration); --out must be a folder "
                     "every worker sees at the same path")
    run.add_argument("--keep", type=int, metavar="N",
                     help="after the run, keep only the N newest dated run folders beside --out (never the one "
                     "reports/latest points to)")
    run.add_argument("--fail-on-stale", action="store_true", default=None,
                     help="exit 1 when any report's data are older than its max_data_age_days (recorded in the manifest)")
    run.add_argument("--compare", metavar="DIR",
                     help="the earlier run folder the weekly brief compares with (default: the newest earlier run "
                     "beside --out in which every notebook succeeded)")
    run.add_argument("--timeout", type=int, metavar="S", help="per-cell execution timeout in seconds (default 1800)")
    run.add_argument("--notebooks", metavar="DIR", help="use notebooks from DIR instead of the playbook's own")
    run.add_argument("-q", "--quiet", action="store_true", help="log to run.log only; print nothing but errors")
    _add_data_checks(run)

    lst = sub.add_parser("list", help="list notebooks with their inputs and typed, documented parameters")
    lst.add_argument("--json", action="store_true", help="machine-readable output")
    lst.add_argument("--notebooks", metavar="DIR", help=argparse.SUPPRESS)

    val = sub.add_parser("validate", help="check input files, settings that name data, and which notebooks can run (runs nothing)")
    val.add_argument("names", nargs="*", metavar="NAME", help="check only what these notebooks need (default: every file present)")
    val.add_argument("--data", metavar="DIR", help=f"input data folder (default: the config's data, else {config.DEMO_DATA_DIR})")
    val.add_argument("-p", "--param", action="append", default=[], metavar="KEY=VALUE", dest="params",
                     help="a notebook parameter, as for run: settings that name data are checked with it")
    val.add_argument("--config", metavar="FILE", help="YAML run config, as for run")
    val.add_argument("--notebooks", metavar="DIR", help=argparse.SUPPRESS)
    _add_data_checks(val)

    demo = sub.add_parser("demo-data", help="generate the demo world's input files and truth.json")
    demo.add_argument("dir", metavar="DIR", help="folder to write into (created if missing)")
    demo.add_argument("--seed", type=int, default=7, help="random seed (default 7, the bundled demo data)")
    demo.add_argument("--scale", type=float, default=1.0, help="multiply row counts (customers, units, journeys); default 1")
    return parser


def _add_data_checks(cmd: argparse.ArgumentParser) -> None:
    cmd.add_argument("--merge-label-variants", action="store_true",
                     help="merge spellings of one label (BOLT, Bolt) into the most frequent; same as -p merge_label_variants=true")
    cmd.add_argument("--require-all", action="store_true",
                     help="a notebook whose input files are missing is an error (exit 2), not skipped (config key require_all)")


def _cmd_run(args: argparse.Namespace) -> int:
    from playbook import runner

    return runner.run(
        names=args.names,
        data_dir=args.data,
        out_dir=args.out,
        parameters=args.params + (["merge_label_variants=true"] if args.merge_label_variants else []),
        config_file=args.config,
        jobs=args.jobs,
        timeout_s=args.timeout,
        notebooks_dir=args.notebooks,
        quiet=args.quiet,
        scheduler=args.scheduler,
        keep=args.keep,
        fail_on_stale=args.fail_on_stale,
        require_all=args.require_all,
        compare=args.compare,
    )


def _cmd_list(args: argparse.Namespace) -> int:
    from playbook.contracts import describe_requirement
    from playbook.notebooks import RUNNER_PARAMETERS, discover

    nbs = discover(args.notebooks)
    if args.json:
        payload = {
            n: {
                "title": nb.title,
                "description": nb.description,
                "requires": nb.requires,
                "optional": nb.optional,
                "settings": nb.meta.get("settings", {}),
                "parameters": {p.name: {"type": p.type, "default": p.default, "help": p.help} for p in nb.parameters.values()},
            }
            for n, nb in nbs.items()
        }
        print(json.dumps(payload, indent=2, default=str))
        return 0
    for n, nb in nbs.items():
        print(f"{n} — {nb.title}")
        if nb.description:
            print(f"  {nb.description}")
        if nb.requires:
            print(f"  needs: {'; '.join(describe_requirement(r) for r in nb.requires)}")
        if nb.optional:
            print(f"  reads when present: {', '.join(f'{n}.csv' for n in nb.optional)}")
        if nb.meta.get("settings"):
            print(f"  settings that name data: {', '.join(f'{p} ({spec})' for p, spec in nb.meta['settings'].items())}")
        width = max((len(p) for p in nb.parameters), default=0)
        for p in nb.parameters.values():
            suffix = " (set by the runner)" if p.name in RUNNER_PARAMETERS else ""
            print(f"  {p.name:<{width}}  {p.type:<10} = {p.default!r:<22} {p.help}{suffix}")
        print()
    return 0


def _cmd_validate(args: argparse.Namespace) -> int:
    from playbook import checks

    report = checks.validate_folder(args.names, args.data, args.params, args.config, args.notebooks,
                                    merge_label_variants=args.merge_label_variants, require_all=args.require_all)
    if not report.files:
        print(f"no input files with a data contract in {report.readiness.data_dir}", file=sys.stderr)
        return 2
    print("\n".join(report.lines()))
    return 0


def _cmd_demo(args: argparse.Namespace) -> int:
    from playbook import demo

    truth = demo.generate(args.dir, seed=args.seed, scale=args.scale)
    files = sorted(p.name for p in Path(args.dir).iterdir() if p.is_file())
    print(f"wrote {len(files)} files to {args.dir}: {', '.join(files)} (seed {truth['seed']}, scale {truth['scale']})")
    return 0


COMMANDS = {"run": _cmd_run, "list": _cmd_list, "validate": _cmd_validate, "demo-data": _cmd_demo}


def main(argv: Sequence[str] | None = None) -> int:
    """Entry point of the ``playbook`` console script; returns the process exit code."""
    from playbook.contracts import ContractError
    from playbook.notebooks import ParameterError
    from playbook.runner import EXIT_USAGE, UsageError

    parser = build_parser()
    args = parser.parse_args(argv)
    if not args.command:
        parser.print_help()
        return EXIT_USAGE
    try:
        return COMMANDS[args.command](args)
    except ContractError as err:
        print(f"playbook: {err}", file=sys.stderr)
        return EXIT_USAGE
    except (UsageError, ParameterError, FileNotFoundError) as err:
        print(f"playbook: error: {err}", file=sys.stderr)
        return EXIT_USAGE
    except KeyboardInterrupt:
        print("playbook: interrupted", file=sys.stderr)
        return 130


if __name__ == "__main__":
    sys.exit(main())
