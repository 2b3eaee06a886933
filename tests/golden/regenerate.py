"""Show how the golden expectations differ from the current output; write
them only when asked.

    python -m tests.golden.regenerate [--write] [NAME ...]
    make golden [NAMES="seed-* readability-lemonde-1"] [WRITE=1]

For each case (all of them, or those named; shell patterns such as `seed-*`
are allowed) the current output is computed and compared with
`tests/golden/<name>.json`; each difference is printed as a unified diff
(expected -> current) before anything is written. Then:

- with `--write`, every differing expectation is written;
- without it, on a terminal, a question for each one: y(es), n(o), a(ll), q(uit);
- without it and without a terminal (CI, a pipe), nothing is written.

A case whose input is absent (the shared corpus is not beside the
repository) is skipped. Exit status: 0 when every expectation checked now
matches the current output, 1 when some difference was left unwritten (or an
expectation has no case any more), 2 for an unknown name.
"""

from __future__ import annotations

import argparse
import fnmatch
import sys

from tests.golden import cases as golden


def _select(patterns: list[str], known: list[str]) -> list[str]:
    if not patterns:
        return known
    chosen: list[str] = []
    for pattern in patterns:
        pattern = pattern.removesuffix(".json").rsplit("/", 1)[-1]  # a path to the file works too
        matched = fnmatch.filter(known, pattern)
        if not matched:
            raise SystemExit(f"regenerate: no golden case matches {pattern!r}; cases: {', '.join(known)}")
        chosen += [name for name in matched if name not in chosen]
    return chosen


def _ask(path: str) -> str:
    while True:
        try:
            answer = input(f"write {path}? [y]es/[n]o/[a]ll/[q]uit ").strip().lower()[:1]
        except EOFError:
            return "q"
        if answer in ("y", "n", "a", "q"):
            return answer


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="python -m tests.golden.regenerate",
        description="Diff the golden expectations (tests/golden/*.json) against the current output.",
    )
    parser.add_argument(
        "names", nargs="*", metavar="NAME", help="case names or shell patterns (default: all)"
    )
    parser.add_argument("--write", action="store_true", help="write every differing expectation")
    parser.add_argument("--list", action="store_true", help="list the cases and exit")
    args = parser.parse_args(argv)

    known = golden.all_names()
    by_name = golden.cases()
    if args.list:
        for name in known:
            case = by_name.get(name)
            where = case.input if case else "(no case: stale expectation)"
            absent = "" if case is None or case.available else "  (input absent)"
            print(f"{name:45} {where}{absent}")
        return 0
    try:
        selected = _select(args.names, known)
    except SystemExit as exc:
        print(exc, file=sys.stderr)
        return 2

    interactive = not args.write and sys.stdin.isatty()
    write_all = args.write
    same = skipped = written = 0
    left: list[str] = []
    stale: list[str] = []
    for name in selected:
        case = by_name.get(name)
        if case is None:
            print(f"stale  tests/golden/{name}.json: no such case any more (remove the file)")
            stale.append(name)
            continue
        if not case.available:
            print(f"skip   {name}: input absent ({case.input})")
            skipped += 1
            continue
        actual = golden.render(golden.compute(case))
        expected = golden.load(name)
        if expected == actual:
            same += 1
            continue
        label = "new" if expected is None else "differs"
        print(f"{label:6} {name}")
        sys.stdout.write(golden.diff(name, expected or "", actual))
        sys.stdout.flush()
        path = f"tests/golden/{name}.json"
        if interactive and not write_all:
            answer = _ask(path)
            if answer == "q":
                left.append(name)
                interactive = False  # the rest: shown, not written
                continue
            write_all = answer == "a"
            if answer == "n":
                left.append(name)
                continue
        elif not write_all:
            left.append(name)
            continue
        golden.write(case, actual)
        written += 1
        print(f"wrote  {path}")

    summary = f"{same} unchanged, {written} written, {len(left)} left as they were, {skipped} skipped"
    print(summary + (f", {len(stale)} stale" if stale else ""))
    if left:
        print("to write them: make golden WRITE=1 [NAMES=...]  (or answer y on a terminal)")
    return 1 if left or stale else 0


if __name__ == "__main__":
    sys.exit(main())
