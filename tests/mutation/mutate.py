#!/usr/bin/env python3
"""Mutation harness: how many plausible bugs does the test suite catch?

Each mutant in tests/mutation/mutants.json is an exact-string patch: in
`file`, the text `old` (which must occur exactly once) becomes `new`. The
harness makes ONE clean copy of the committed tree (`git archive HEAD`) in a
temporary directory, configures and builds it once, runs the chosen labels
once unmutated (the baseline: a failing baseline would make every mutant look
killed), then for each chosen mutant:

  apply the patch -> rebuild incrementally -> ctest -L <labels> -> restore
  the file byte for byte -> check every file of the copy against the hashes
  taken before the first mutant.

A mutant is "killed" when a test fails, "timeout" when the tests outlive
--mutant-timeout (counted as detected, listed apart), "compiler" when the
build fails (listed apart, not counted in the score: such a mutant tests the
compiler, not the suite) and "survived" when every test passes.

Entry fields: id, file, old, new, why, labels (a ctest label regex such as
"unit|http"); optional "equivalent": "reason" (the mutant cannot change any
behaviour; left out of the score), "known_survivor": "why" (a survivor
already known, to be killed by a later test; it does not fail the run) and
"unmeasured": "note" (not yet run by a full run: --sample leaves it out).

Exit status: 0 when no chosen mutant survived (or every survivor is marked
equivalent or known_survivor), 1 when one did, 2 when the harness itself could
not run (bad mutants file, build or baseline failure).

The tree the harness is run from is never written to, except --report FILE.

    python3 tests/mutation/mutate.py --all --report tests/mutation/REPORT.md
    python3 tests/mutation/mutate.py --sample 3            # random seed, printed
    python3 tests/mutation/mutate.py --only size-k-off-by-one --jobs 2
    python3 tests/mutation/mutate.py --check               # validate the file only
"""
import argparse
import datetime
import hashlib
import io
import json
import os
import random
import re
import shlex
import shutil
import signal
import subprocess
import sys
import tarfile
import tempfile
import time

HERE = os.path.dirname(os.path.abspath(__file__))
DEFAULT_MUTANTS = os.path.join(HERE, "mutants.json")
# scripts/test.sh runs as root through sudo on a tree a user owns: git would
# refuse it as of "dubious ownership"; the harness only reads it.
GIT = ["git", "-c", "safe.directory=*"]
REQUIRED = ("id", "file", "old", "new", "why", "labels")
KNOWN_LABELS = {"unit", "live", "http", "reliability", "browser", "docker", "fuzz", "layout"}
# The order a mutant's labels are tried in: the cheapest suite first, so
# that most kills cost seconds (unit ~5 s, http ~40 s, reliability ~60 s,
# live minutes).
LABEL_ORDER = ["unit", "http", "reliability", "live", "browser", "docker", "fuzz", "layout"]


def log(*args):
    print("[mutate]", *args, flush=True)


def repo_root():
    out = subprocess.run(GIT + ["-C", HERE, "rev-parse", "--show-toplevel"],
                         capture_output=True, text=True, check=True)
    return out.stdout.strip()


def load_mutants(path):
    with open(path, encoding="utf-8") as f:
        data = json.load(f)
    if isinstance(data, dict):
        data = data.get("mutants", [])
    if not isinstance(data, list):
        raise SystemExit(f"{path}: expected a list of mutants")
    return data


def validate(mutants, tree):
    """Every problem with the mutants file, checked against the tree `tree`."""
    problems = []
    seen = set()
    for i, m in enumerate(mutants):
        where = f"entry {i} ({m.get('id', '?')})"
        for key in REQUIRED:
            if not isinstance(m.get(key), str) or (key != "new" and not m.get(key)):
                problems.append(f"{where}: missing or empty '{key}'")
        if any(not isinstance(m.get(key), str) for key in REQUIRED):
            continue
        if m["id"] in seen:
            problems.append(f"{where}: duplicate id")
        seen.add(m["id"])
        if m["old"] == m["new"]:
            problems.append(f"{where}: old and new are the same")
        for label in m["labels"].split("|"):
            if label not in KNOWN_LABELS:
                problems.append(f"{where}: unknown label '{label}'")
        for key in ("equivalent", "known_survivor", "unmeasured"):
            if key in m and (not isinstance(m[key], str) or not m[key].strip()):
                problems.append(f"{where}: '{key}' must give a reason")
        path = os.path.join(tree, m["file"])
        if not os.path.isfile(path):
            problems.append(f"{where}: no file {m['file']}")
            continue
        with open(path, encoding="utf-8") as f:
            count = f.read().count(m["old"])
        if count != 1:
            problems.append(f"{where}: 'old' occurs {count} times in {m['file']} (must be exactly once)")
    return problems


def export_head(root, dest):
    """A clean copy of the committed tree: git archive HEAD, extracted."""
    commit = subprocess.run(GIT + ["-C", root, "rev-parse", "HEAD"], capture_output=True,
                            text=True, check=True).stdout.strip()
    archive = subprocess.run(GIT + ["-C", root, "archive", "--format=tar", "HEAD"],
                             capture_output=True, check=True).stdout
    with tarfile.open(fileobj=io.BytesIO(archive)) as tar:
        tar.extractall(dest)
    dirty = subprocess.run(GIT + ["-C", root, "status", "--porcelain", "--untracked-files=no"],
                           capture_output=True, text=True, check=True).stdout
    if dirty.strip():
        log("note: the working tree has uncommitted changes; mutants run on HEAD", commit[:12])
    return commit


def manifest(tree):
    """sha256 of every file of the copy, the build directory left out."""
    result = {}
    for dirpath, dirnames, filenames in os.walk(tree):
        if dirpath == tree:
            dirnames[:] = [d for d in dirnames if d != "build-mutation"]
        for name in filenames:
            path = os.path.join(dirpath, name)
            if os.path.islink(path):
                result[os.path.relpath(path, tree)] = "link:" + os.readlink(path)
                continue
            with open(path, "rb") as f:
                result[os.path.relpath(path, tree)] = hashlib.sha256(f.read()).hexdigest()
    return result


def run(cmd, cwd, timeout, logfile):
    """Run cmd in its own process group; (returncode or None on timeout, seconds)."""
    start = time.monotonic()
    with open(logfile, "ab") as out:
        out.write(("\n$ " + " ".join(shlex.quote(c) for c in cmd) + "\n").encode())
        out.flush()
        proc = subprocess.Popen(cmd, cwd=cwd, stdout=out, stderr=subprocess.STDOUT,
                                start_new_session=True)
        try:
            rc = proc.wait(timeout=timeout)
        except subprocess.TimeoutExpired:
            os.killpg(proc.pid, signal.SIGKILL)
            proc.wait()
            rc = None
        except BaseException:
            os.killpg(proc.pid, signal.SIGKILL)
            proc.wait()
            raise
    return rc, time.monotonic() - start


def failed_tests(logfile, offset):
    with open(logfile, encoding="utf-8", errors="replace") as f:
        f.seek(offset)
        text = f.read()
    names = re.findall(r"^\s*\d+ - (\S+) \((?:Failed|Timeout|SEGFAULT|Subprocess aborted|Child aborted|Exception|[^)]*)\)",
                       text, re.M)
    return sorted(set(names))


class Copy:
    def __init__(self, workdir, build_dir, build_type, jobs, cmake_args, logfile, exclude=None):
        self.exclude = exclude
        self.flaky = []
        self.tree = workdir
        self.build = build_dir
        self.build_type = build_type
        self.jobs = jobs
        self.cmake_args = cmake_args
        self.logfile = logfile

    def configure_and_build(self):
        cmd = ["cmake", "-S", self.tree, "-B", self.build, f"-DCMAKE_BUILD_TYPE={self.build_type}",
               "-DBUILD_TESTING=ON"] + self.cmake_args
        rc, _ = run(cmd, self.tree, 900, self.logfile)
        if rc != 0:
            return False
        return self.rebuild(1800)[0] == 0

    def rebuild(self, timeout):
        return run(["cmake", "--build", self.build, "-j", str(os.cpu_count() or 2)],
                   self.tree, timeout, self.logfile)

    def ctest(self, labels, per_test, timeout, stop_on_failure=False):
        """Without stop_on_failure: one ctest over every label. With it
        (a mutant): one label at a time, cheapest first (LABEL_ORDER), and
        --stop-on-failure inside each, so that a mutant the unit tests kill
        in 2 s never waits for the HTTP or live suites."""
        offset = os.path.getsize(self.logfile)
        groups = [labels]
        if stop_on_failure:
            wanted = labels.split("|")
            groups = [l for l in LABEL_ORDER if l in wanted] + \
                     [l for l in wanted if l not in LABEL_ORDER]
        start = time.monotonic()
        rc = 0
        self.flaky = []
        for group in groups:
            regex = group if not stop_on_failure else f"^{group}$"
            # A test that fails once and passes when run again alone is
            # flaky, not a kill: the group is run once more (at most), so
            # that a loaded machine cannot make a survivor look killed.
            for attempt in range(2 if stop_on_failure else 1):
                left = timeout - (time.monotonic() - start)
                if left <= 0:
                    return None, time.monotonic() - start, failed_tests(self.logfile, offset)
                cmd = ["ctest", "--test-dir", self.build, "-L", regex, "--timeout", str(per_test),
                       "-j", str(self.jobs), "--output-on-failure"]
                # A label with no test here (none built, say) is not a kill.
                cmd.append("--no-tests=error" if not stop_on_failure else "--no-tests=ignore")
                if self.exclude:
                    cmd += ["-E", self.exclude]
                if stop_on_failure:
                    cmd.append("--stop-on-failure")
                mark = os.path.getsize(self.logfile)
                rc, _ = run(cmd, self.tree, left, self.logfile)
                if rc == 0 or rc is None or not stop_on_failure:
                    break
                failed = failed_tests(self.logfile, mark)
                if not failed:
                    break
                names = "|".join(re.escape(n) for n in failed)
                left = timeout - (time.monotonic() - start)
                confirm, _ = run(["ctest", "--test-dir", self.build, "-R", f"^({names})$",
                                  "--timeout", str(per_test), "--output-on-failure"],
                                 self.tree, max(1, left), self.logfile)
                if confirm != 0:
                    break  # the same test fails again: a kill
                self.flaky += failed
                log("flaky (failed, then passed alone):", ", ".join(failed))
                rc = 0
            if rc != 0:
                break
        return rc, time.monotonic() - start, failed_tests(self.logfile, offset)


def pick(mutants, args):
    by_id = {m["id"]: m for m in mutants}
    if args.only:
        missing = [i for i in args.only if i not in by_id]
        if missing:
            raise SystemExit(f"unknown mutant ids: {' '.join(missing)}")
        return [by_id[i] for i in args.only], "only: " + " ".join(args.only)
    pool = [m for m in mutants if not args.file or any(f in m["file"] for f in args.file)]
    if args.skip_labels:
        skip = set(args.skip_labels.split("|"))
        pool = [m for m in pool if not set(m["labels"].split("|")) <= skip]
    if not args.include_equivalent:
        pool = [m for m in pool if "equivalent" not in m]
    if not args.all:
        # A mutant never measured may survive: the random sample (CI) leaves
        # it to the full run, which measures it and drops the mark.
        pool = [m for m in pool if "unmeasured" not in m]
    if args.all:
        return pool, f"all ({len(pool)})"
    seed = args.seed if args.seed is not None else random.SystemRandom().randrange(1, 2**31)
    log(f"seed {seed} (repeat with --sample {args.sample} --seed {seed})")
    chosen = random.Random(seed).sample(pool, min(args.sample, len(pool)))
    return chosen, f"sample {args.sample}, seed {seed}: " + " ".join(m["id"] for m in chosen)


def labels_for(m, args):
    labels = args.labels_override or m["labels"]
    if args.skip_labels:
        skip = set(args.skip_labels.split("|"))
        kept = [l for l in labels.split("|") if l not in skip]
        labels = "|".join(kept) or labels
    return labels


def write_report(path, results, mutants, args, selection, commit, started, elapsed):
    files = {}
    for r in results:
        row = files.setdefault(r["file"], {"total": 0, "killed": 0, "timeout": 0, "survived": 0,
                                           "known": 0, "equivalent": 0, "compiler": 0})
        row["total"] += 1
        row[r["status"]] += 1
        if r["status"] == "survived" and r.get("known_survivor"):
            row["known"] += 1

    def score(row):
        counted = row["killed"] + row["timeout"] + row["survived"]
        return f"{100.0 * (row['killed'] + row['timeout']) / counted:.1f} %" if counted else "–"

    total = {k: sum(row[k] for row in files.values()) for k in
             ("total", "killed", "timeout", "survived", "known", "equivalent", "compiler")}
    lines = [
        "# Mutation report",
        "",
        f"- Date: {started:%Y-%m-%d %H:%M} UTC; commit `{commit[:12]}`; {elapsed / 60:.1f} min"
        f" ({elapsed / max(1, len(results)):.0f} s a mutant)",
        f"- Command: `{' '.join(['python3', 'tests/mutation/mutate.py'] + [shlex.quote(a) for a in sys.argv[1:]])}`",
        f"- Selection: {selection}",
        f"- Mutants in the file: {len(mutants)}; run here: {len(results)}",
        "- Score = (killed + timeout) / (run − equivalent − compiler). A mutant the compiler",
        "  rejects tests the compiler, not the suite: listed apart, left out of the score.",
        "",
        "| file | mutants | killed | timeout | survived (known) | equivalent | compiler | score |",
        "|---|---:|---:|---:|---:|---:|---:|---:|",
    ]
    for name in sorted(files):
        row = files[name]
        lines.append(f"| `{name}` | {row['total']} | {row['killed']} | {row['timeout']} | "
                     f"{row['survived']} ({row['known']}) | {row['equivalent']} | {row['compiler']} | {score(row)} |")
    lines.append(f"| **total** | {total['total']} | {total['killed']} | {total['timeout']} | "
                 f"{total['survived']} ({total['known']}) | {total['equivalent']} | {total['compiler']} | "
                 f"**{score(total)}** |")
    lines += ["", "## Every mutant", "",
              "| id | file | labels | status | caught by / note | seconds |", "|---|---|---|---|---|---:|"]
    for r in results:
        note = ", ".join(r.get("failed", [])) or ""
        if r.get("flaky"):
            note += (" " if note else "") + "(flaky, not counted: " + ", ".join(r["flaky"]) + ")"
        if r["status"] == "survived":
            note = "known survivor: " + r["known_survivor"] if r.get("known_survivor") else "NEW SURVIVOR"
        if r["status"] == "equivalent":
            note = r["equivalent"]
        lines.append(f"| `{r['id']}` | `{r['file']}` | {r['labels'].replace('|', ' ')} | {r['status']} | "
                     f"{note.replace('|', '/')} | {r['seconds']:.0f} |")
    lines += ["", "## Survivors and equivalents: what each mutant does", ""]
    for r in results:
        if r["status"] in ("survived", "equivalent", "compiler"):
            lines.append(f"- `{r['id']}` ({r['status']}): {r['why']}")
    lines.append("")
    with open(path, "w", encoding="utf-8") as f:
        f.write("\n".join(lines))


def main():
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--mutants", default=DEFAULT_MUTANTS, help="mutants file (JSON list)")
    sel = p.add_mutually_exclusive_group()
    sel.add_argument("--all", action="store_true", help="every mutant")
    sel.add_argument("--sample", type=int, default=3, help="N mutants at random (default 3)")
    sel.add_argument("--only", nargs="+", metavar="ID", help="these mutants")
    p.add_argument("--seed", type=int, help="seed for --sample (random by default, printed)")
    p.add_argument("--file", action="append", help="only mutants whose file contains this (repeatable)")
    p.add_argument("--include-equivalent", action="store_true", help="run the equivalent ones too")
    p.add_argument("--labels-override", help="run this label regex for every mutant instead of its own")
    p.add_argument("--skip-labels", help="labels never run (e.g. 'browser|docker'); mutants caught only "
                                         "by them are not chosen")
    p.add_argument("--exclude", help="ctest -E: tests never run (e.g. a slow one that cannot catch "
                                     "these mutants)")
    p.add_argument("--every-test", action="store_true", help="run every test of a killed mutant too "
                                     "(default: stop at the first failure, which names one killer)")
    p.add_argument("--jobs", type=int, default=2, help="ctest -j (default 2)")
    p.add_argument("--test-timeout", type=int, default=120, help="ctest --timeout, a test (default 120 s)")
    p.add_argument("--mutant-timeout", type=int, default=900, help="the tests of one mutant (default 900 s)")
    p.add_argument("--total-timeout", type=int, default=0, help="stop starting mutants after this many s")
    p.add_argument("--build-type", default="RelWithDebInfo")
    p.add_argument("--cmake-arg", action="append", default=[], help="extra configure argument")
    p.add_argument("--workdir", help="copy and build here (reused when it holds the same commit); "
                                     "default a temporary directory, removed at the end")
    p.add_argument("--keep", action="store_true", help="keep the temporary directory")
    p.add_argument("--no-baseline", action="store_true", help="skip the unmutated run of the labels")
    p.add_argument("--report", help="write the Markdown report here")
    p.add_argument("--check", action="store_true", help="validate the mutants file against HEAD and stop")
    args = p.parse_args()

    def terminated(signum, frame):
        raise SystemExit(f"mutate.py: signal {signum}, restoring the copy")
    signal.signal(signal.SIGTERM, terminated)

    root = repo_root()
    mutants = load_mutants(args.mutants)
    if args.check:
        # The tree as it is (after a merge: the merged tree), no copy and
        # no build: a mutant whose old text no longer occurs exactly once
        # is stale and must be rewritten, never silently skipped.
        problems = validate(mutants, root)
        for line in problems:
            print("mutants file:", line, file=sys.stderr)
        if not problems:
            log(f"{len(mutants)} mutants valid against the tree {root}")
        return 2 if problems else 0
    started = datetime.datetime.now(datetime.timezone.utc)
    t0 = time.monotonic()

    own_temp = args.workdir is None
    base = args.workdir or tempfile.mkdtemp(prefix="wm-mutation-")
    os.makedirs(base, exist_ok=True)
    tree = os.path.join(base, "src")
    head = subprocess.run(GIT + ["-C", root, "rev-parse", "HEAD"], capture_output=True, text=True,
                          check=True).stdout.strip()
    stamp = os.path.join(base, "commit")
    reuse = (os.path.isdir(tree) and os.path.isfile(stamp)
             and open(stamp, encoding="utf-8").read().strip() == head
             and os.path.isfile(os.path.join(base, "manifest.json")))
    if reuse:
        with open(os.path.join(base, "manifest.json"), encoding="utf-8") as f:
            clean = json.load(f)
        if manifest(tree) != clean:
            log("the kept copy differs from its manifest: making a new one")
            reuse = False
    if not reuse:
        shutil.rmtree(tree, ignore_errors=True)
        os.makedirs(tree)
        commit = export_head(root, tree)
        clean = manifest(tree)
        with open(os.path.join(base, "manifest.json"), "w", encoding="utf-8") as f:
            json.dump(clean, f)
        with open(stamp, "w", encoding="utf-8") as f:
            f.write(commit + "\n")
    commit = head

    status = 2
    try:
        status = run_mutants(args, mutants, tree, base, clean, commit, started, t0)
        return status
    finally:
        if own_temp and not args.keep:
            if status == 2 and os.path.exists(os.path.join(base, "mutate.log")):
                log("kept for its log:", base)
            else:
                shutil.rmtree(base, ignore_errors=True)


def run_mutants(args, mutants, tree, base, clean, commit, started, t0):
    if True:
        problems = validate(mutants, tree)
        if problems:
            for line in problems:
                print("mutants file:", line, file=sys.stderr)
            return 2
        log(f"{len(mutants)} mutants valid against {commit[:12]}")
        if args.check:
            return 0

        chosen, selection = pick(mutants, args)
        log("selection:", selection)
        logfile = os.path.join(base, "mutate.log")
        log("copy", tree, "; log", logfile)
        copy = Copy(tree, os.path.join(tree, "build-mutation"), args.build_type, args.jobs,
                    args.cmake_arg, logfile, args.exclude)
        tb = time.monotonic()
        if not copy.configure_and_build():
            log("the unmutated copy does not build: see", logfile)
            return 2
        log(f"built in {time.monotonic() - tb:.0f} s")

        if not args.no_baseline and chosen:
            labels = "|".join(sorted({l for m in chosen for l in labels_for(m, args).split("|")}))
            rc, seconds, failed = copy.ctest(labels, args.test_timeout, args.mutant_timeout)
            if rc != 0 and failed:
                # A test that fails unmutated and then passes alone is
                # flaky: said, and the run goes on (a mutant's kill by it
                # is checked the same way); one that fails again is not.
                names = "|".join(re.escape(n) for n in failed)
                again, _ = run(["ctest", "--test-dir", copy.build, "-R", f"^({names})$",
                                "--timeout", str(args.test_timeout), "--output-on-failure"],
                               tree, args.mutant_timeout, logfile)
                if again == 0:
                    log(f"baseline: flaky (failed, then passed alone): {', '.join(failed)}")
                    rc = 0
            if rc != 0:
                log(f"baseline -L '{labels}' fails unmutated ({', '.join(failed) or rc}): see {logfile}")
                return 2
            log(f"baseline -L '{labels}' passes ({seconds:.0f} s)")
            # A mutant's tests outliving --mutant-timeout count as a kill
            # ("timeout"): never let a slow machine make that of a suite
            # that merely takes as long as it did unmutated.
            floor = int(2 * seconds + 120)
            if args.mutant_timeout < floor:
                log(f"--mutant-timeout raised from {args.mutant_timeout} s to {floor} s "
                    "(twice the baseline, plus 2 minutes)")
                args.mutant_timeout = floor

        results = []
        for n, m in enumerate(chosen, 1):
            if args.total_timeout and time.monotonic() - t0 > args.total_timeout:
                log(f"total timeout: {len(chosen) - n + 1} mutants not run")
                break
            r = {k: m[k] for k in ("id", "file", "why")}
            r["labels"] = labels_for(m, args)
            for key in ("known_survivor", "equivalent"):
                if key in m:
                    r[key] = m[key]
            path = os.path.join(tree, m["file"])
            with open(path, "rb") as f:
                original = f.read()
            text = original.decode("utf-8")
            assert text.count(m["old"]) == 1
            start = time.monotonic()
            try:
                with open(path, "wb") as f:
                    f.write(text.replace(m["old"], m["new"], 1).encode("utf-8"))
                brc, _ = copy.rebuild(900)
                if brc != 0:
                    r["status"], r["failed"] = "compiler", []
                else:
                    rc, _, failed = copy.ctest(r["labels"], args.test_timeout, args.mutant_timeout,
                                              stop_on_failure=not args.every_test)
                    r["failed"] = [n for n in failed if n not in copy.flaky] if rc else []
                    r["flaky"] = sorted(set(copy.flaky))
                    r["status"] = "timeout" if rc is None else ("killed" if rc != 0 else "survived")
            finally:
                with open(path, "wb") as f:
                    f.write(original)
            r["seconds"] = time.monotonic() - start
            if manifest(tree) != clean:
                log("the copy is not clean after restoring", m["id"], "- stopping")
                return 2
            if r["status"] == "survived" and "equivalent" in m:
                r["status"] = "equivalent"
            results.append(r)
            tag = r["status"]
            if tag == "survived":
                tag += " (known)" if "known_survivor" in m else " (NEW)"
            log(f"[{n}/{len(chosen)}] {m['id']}: {tag} in {r['seconds']:.0f} s"
                + (f" - {', '.join(r['failed'])}" if r.get("failed") else ""))
            if args.report:
                # After each mutant: a run stopped part-way (a signal, the
                # machine needed) still leaves the report of what it ran.
                write_report(args.report, results, mutants, args,
                             selection + f" (stopped after {n} of {len(chosen)})"
                             if n < len(chosen) else selection,
                             commit, started, time.monotonic() - t0)

        elapsed = time.monotonic() - t0
        counted = [r for r in results if r["status"] in ("killed", "timeout", "survived")]
        detected = [r for r in counted if r["status"] != "survived"]
        new = [r for r in results if r["status"] == "survived" and "known_survivor" not in r]
        compiler = [r for r in results if r["status"] == "compiler"]
        log(f"{len(detected)} of {len(counted)} detected"
            + (f" ({100.0 * len(detected) / len(counted):.1f} %)" if counted else "")
            + f", {len(compiler)} rejected by the compiler, {elapsed:.0f} s")
        if args.report:
            write_report(args.report, results, mutants, args, selection, commit, started, elapsed)
            log("report:", args.report)
        for r in new:
            log(f"SURVIVOR {r['id']} ({r['file']}): {r['why']}")
        return 1 if new else 0


if __name__ == "__main__":
    sys.exit(main())
