#!/usr/bin/env python3
"""The house's one-way dependencies, checked on the sources themselves:

- worker/ includes nothing of service/, and its public headers
  (worker/include/) include only public headers;
- service/ includes only the engine's public headers, never worker/src/;
- a folder of service/ includes only its own headers and those of the
  folders its library links in service/CMakeLists.txt (transitively), so
  the dependencies written there are the ones the code has.

The compiler enforces most of this through include directories; this test
says it in words and catches what include paths cannot (a relative
"../../worker/src/x.h", a new folder added with a wide include path). It
first proves itself on a made-up tree that breaks each rule.

usage: test_layout.py [REPO]
"""
import os
import re
import sys

INCLUDE = re.compile(r'^\s*#\s*include\s+"([^"]+)"', re.M)
FOLDER_LIB = re.compile(r"^wm_folder_library\((\w+)\s+(\w+)\s+([^)]*)\)", re.M)


def sources(repo, top):
    for root, _, files in os.walk(os.path.join(repo, top)):
        for name in files:
            if name.endswith((".c", ".h")):
                path = os.path.join(root, name)
                with open(path, encoding="utf-8") as f:
                    yield os.path.relpath(path, repo), f.read()


def folder_deps(cmake_text):
    """folder -> the service folders its library may use, transitively."""
    lib_folder, links = {}, {}
    for lib, folder, deps in FOLDER_LIB.findall(cmake_text):
        lib_folder[lib] = folder
        links[folder] = [d for d in deps.split()]
    direct = {f: {lib_folder[d] for d in deps if d in lib_folder} for f, deps in links.items()}
    closed = {}
    for folder in direct:
        seen, todo = set(), [folder]
        while todo:
            for dep in direct.get(todo.pop(), ()):
                if dep not in seen:
                    seen.add(dep)
                    todo.append(dep)
        closed[folder] = seen | {folder}
    return closed


def violations(files, deps):
    """files: {path: text}. Every include that breaks a rule, in words."""
    where = {}  # header name -> paths defining it
    for path in files:
        if path.endswith(".h"):
            where.setdefault(os.path.basename(path), []).append(path)
    found = []
    for path, text in sorted(files.items()):
        parts = path.split("/")
        for name in INCLUDE.findall(text):
            base = os.path.basename(name)
            targets = where.get(base, [])
            if not targets:
                continue  # a system or third-party header
            if os.path.dirname(name):
                found.append(f"{path}: includes {name!r} by a path; name the header alone")
                continue
            target = next((t for t in targets if t.split("/")[:2] == parts[:2]), targets[0])
            tparts = target.split("/")
            if parts[0] == "worker" and tparts[0] != "worker":
                found.append(f"{path}: the engine includes {target} of the service")
            elif parts[:2] == ["worker", "include"] and tparts[:2] != ["worker", "include"]:
                found.append(f"{path}: a public header includes the private {target}")
            elif parts[0] == "service" and tparts[:2] == ["worker", "src"]:
                found.append(f"{path}: the service includes the engine's private {target}")
            elif parts[0] == "service" and tparts[0] == "service" and len(parts) > 2:
                folder = parts[1]
                tfolder = tparts[1] if len(tparts) > 2 else None
                if tfolder and tfolder not in deps.get(folder, {folder}):
                    found.append(f"{path}: service/{folder} includes {target}, but its "
                                 f"library does not link service/{tfolder}")
    return found


def self_test():
    deps = {"api": {"api", "http"}, "http": {"http"}, "cli": {"cli"}}
    bad = {
        "worker/include/wm_a.h": '#include "a_private.h"\n',
        "worker/src/a_private.h": "",
        "worker/src/a.c": '#include "wm_cli.h"\n',
        "service/cli/wm_cli.h": "",
        "service/cli/run.c": '#include "a_private.h"\n#include "../x/wm_a.h"\n',
        "service/http/wm_http.h": '#include "wm_handlers.h"\n',
        "service/api/wm_handlers.h": '#include "wm_http.h"\n#include "wm_a.h"\n',
    }
    found = violations(bad, deps)
    expected = ["public header includes the private", "the engine includes",
                "the service includes the engine's private", "by a path",
                "does not link service/api"]
    for words in expected:
        if not any(words in v for v in found):
            print(f"FAIL: the checker missed a broken rule ({words!r}); it found {found}")
            sys.exit(1)
    if len(found) != len(expected):
        print(f"FAIL: the checker found {len(found)} problems in the made-up tree, "
              f"expected {len(expected)}: {found}")
        sys.exit(1)


def main():
    repo = sys.argv[1] if len(sys.argv) > 1 else os.path.join(os.path.dirname(__file__), "..", "..")
    repo = os.path.abspath(repo)
    self_test()
    with open(os.path.join(repo, "service", "CMakeLists.txt"), encoding="utf-8") as f:
        deps = folder_deps(f.read())
    if not deps:
        print("FAIL: no wm_folder_library() lines found in service/CMakeLists.txt")
        sys.exit(1)
    files = dict(sources(repo, "worker"))
    files.update(sources(repo, "service"))
    found = violations(files, deps)
    for v in found:
        print(f"FAIL: {v}")
    if found:
        sys.exit(1)
    print(f"PASS: {len(files)} files, {sum(len(INCLUDE.findall(t)) for t in files.values())} "
          f"includes, {len(deps)} service folders")


if __name__ == "__main__":
    main()
