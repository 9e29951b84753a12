"""Run the `workbench` command line in this process, the way `python -m workbench` would.

A subprocess costs an interpreter start and the pandas/pyarrow imports (about half a second
each); the tests that check the entry point itself start one (tests/test_packaging.py).
Everything else calls `workbench.cli.main.main` here, with stdout and stderr captured and the
exit status a process would have had: `main`'s return value, argparse's `SystemExit`, and 1
with the traceback on stderr for an exception that escapes `main`.
"""
from __future__ import annotations

import contextlib
import io
import json
import os
import traceback
from dataclasses import dataclass
from pathlib import Path


@dataclass
class CliRun:
    args: list
    returncode: int
    stdout: str
    stderr: str

    @property
    def json(self) -> dict:
        return json.loads(self.stdout)


@contextlib.contextmanager
def _env(name: str, value: str | None):
    old = os.environ.get(name)
    if value is not None:
        os.environ[name] = value
    try:
        yield
    finally:
        if value is not None:
            if old is None:
                os.environ.pop(name, None)
            else:
                os.environ[name] = old


def run_cli(*args, cache: Path | None = None, cwd: Path | None = None) -> CliRun:
    """`workbench ARGS...` in process; `cache` sets WORKBENCH_CACHE_DIR for this run only.

    Not thread-safe (it swaps sys.stdout/sys.stderr, the environment and the working folder):
    call it from one thread at a time.
    """
    from workbench.cli.main import main
    argv = [str(a) for a in args]
    out, err = io.StringIO(), io.StringIO()
    with contextlib.ExitStack() as stack:
        stack.enter_context(_env("WORKBENCH_CACHE_DIR", None if cache is None else str(cache)))
        if cwd is not None:
            stack.enter_context(contextlib.chdir(cwd))
        stack.enter_context(contextlib.redirect_stdout(out))
        stack.enter_context(contextlib.redirect_stderr(err))
        try:
            rc = main(argv)
        except SystemExit as exc:  # argparse: --help, --version, usage errors
            code = exc.code
            rc = code if isinstance(code, int) else (0 if code is None else 1)
            if isinstance(code, str):
                print(code, file=err)
        except Exception:  # what the interpreter would print before exiting with 1
            traceback.print_exc(file=err)
            rc = 1
    return CliRun(argv, int(rc), out.getvalue(), err.getvalue())
