#!/usr/bin/env python3
# SPDX-License-Identifier: Apache-2.0
# tests/integration/dockerfile_check.py -- static check that the Dockerfile is in step with the
# build: its build stage apt-installs every package of .ci/install-deps.sh's BUILD_PKGS that
# `make all` needs (all but its TEST_ONLY_PKGS), its runtime stage the runtime library of every
# -dev package among them, and the image is the one documented (Debian bookworm stages, non-root numeric USER, EXPOSE 9201,
# MODEL_FILES_DIR and FORECAST_PLOTS_DIR under a VOLUME, make targets that exist). With --binary
# and dpkg on the machine it also checks the tables below against the installed packages: each
# pkg-config name's .pc file belongs to its -dev package, and each library the binary links
# (ELF NEEDED) belongs to a package of the runtime stage.
# usage: dockerfile_check.py DOCKERFILE INSTALL_DEPS_SH MAKEFILE [--binary PATH]
# Prints one line per problem; exits 1 when there is any, 0 otherwise.
import os
import re
import shlex
import subprocess
import sys

# The Makefile's PKGS (pkg-config names) -> the Debian -dev package that provides them.
PC_DEV = {
    "libprotobuf-c": "libprotobuf-c-dev",
    "snappy": "libsnappy-dev",
    "libmicrohttpd": "libmicrohttpd-dev",
    "libcjson": "libcjson-dev",
    "lapacke": "liblapacke-dev",
    "openblas": "libopenblas-dev",
    "libcurl": "libcurl4-openssl-dev",
    "cairo": "libcairo2-dev",
    "libpng": "libpng-dev",
    "zlib": "zlib1g-dev",
}
# -dev package -> the bookworm runtime library package the binary needs from it.
DEV_RUNTIME = {
    "libprotobuf-c-dev": "libprotobuf-c1",
    "libsnappy-dev": "libsnappy1v5",
    "libmicrohttpd-dev": "libmicrohttpd12",
    "libcurl4-openssl-dev": "libcurl4",
    "libcjson-dev": "libcjson1",
    "libopenblas-dev": "libopenblas0-pthread",
    "liblapacke-dev": "liblapacke",
    "libcairo2-dev": "libcairo2",
    "libpng-dev": "libpng16-16",
    "zlib1g-dev": "zlib1g",
}
BASE_RUNTIME = {"libc6"}   # in every Debian image
ALLOWED_BASES = {"debian:bookworm", "debian:bookworm-slim"}

problems = []


def problem(msg):
    problems.append(msg)
    print("dockerfile-check: " + msg)


def parse_dockerfile(path):
    """Stages as dicts: base, name, and the instructions (keyword, argument text) in order."""
    text = open(path).read()
    lines, cur = [], ""
    for raw in text.splitlines():
        s = raw.strip()
        if not cur and (not s or s.startswith("#")):
            continue
        if s.startswith("#"):
            continue
        if s.endswith("\\"):
            cur += s[:-1] + " "
            continue
        lines.append(cur + s)
        cur = ""
    if cur:
        lines.append(cur)
    stages = []
    for ln in lines:
        kw, _, arg = ln.partition(" ")
        kw = kw.upper()
        if kw == "FROM":
            m = re.match(r"(\S+)(?:\s+AS\s+(\S+))?\s*$", arg.strip(), re.I)
            if not m:
                problem(f"cannot parse FROM {arg}")
                continue
            stages.append({"base": m.group(1), "name": m.group(2) or str(len(stages)), "ins": []})
        elif not stages:
            if kw != "ARG":
                problem(f"{kw} before the first FROM")
        else:
            stages[-1]["ins"].append((kw, arg.strip()))
    return stages


def apt_installs(stage):
    """Packages of every `apt-get install` in the stage's RUNs, and the RUN texts doing it."""
    pkgs, runs = [], []
    for kw, arg in stage["ins"]:
        if kw != "RUN":
            continue
        for seg in re.split(r"&&|;|\|\|", arg):
            toks = shlex.split(seg)
            if len(toks) >= 2 and toks[0] in ("apt-get", "apt") and "install" in toks:
                runs.append((arg, toks))
                pkgs += [t for t in toks[toks.index("install") + 1:] if not t.startswith("-")]
    return pkgs, runs


def shell_list(path, var):
    """The words of VAR="..." in a shell script (may span lines)."""
    m = re.search(r"^" + var + r'="([^"]*)"', open(path).read(), re.M)
    if not m:
        problem(f"{path}: no {var}=\"...\"")
        return []
    return m.group(1).split()


def makefile_info(path):
    text = open(path).read()
    m = re.search(r"^PKGS\s*:?=\s*(.*)$", text, re.M)
    pkgs = m.group(1).split() if m else []
    if not m:
        problem(f"{path}: no PKGS := line")
    targets = set(re.findall(r"^([A-Za-z0-9_./-]+)\s*:(?!=)", text, re.M))
    return pkgs, targets


def dpkg_owner(path):
    """The Debian package owning path (following symlinks, trying the /usr-merged twin)."""
    real = os.path.realpath(path)
    cands = [real, path]
    for p in list(cands):
        if p.startswith("/usr/"):
            cands.append(p[4:])
        else:
            cands.append("/usr" + p)
    for c in cands:
        r = subprocess.run(["dpkg-query", "-S", c], capture_output=True, text=True)
        if r.returncode == 0:
            return r.stdout.split(":")[0].strip()
    return None


def depends_of(pkg):
    r = subprocess.run(["dpkg-query", "-W", "-f=${Depends}", pkg], capture_output=True, text=True)
    return re.findall(r"([a-z0-9][a-z0-9+.-]+)", r.stdout) if r.returncode == 0 else []


def cross_check(binary, runtime_pkgs, build_set):
    have = all(subprocess.run(["sh", "-c", f"command -v {t}"], capture_output=True).returncode == 0
               for t in ("dpkg-query", "pkg-config", "readelf", "ldconfig"))
    if not have:
        print("dockerfile-check: note: dpkg-query/pkg-config/readelf/ldconfig missing; "
              "installed-package cross-check skipped")
        return
    for pc, dev in PC_DEV.items():
        r = subprocess.run(["pkg-config", "--path", pc], capture_output=True, text=True)
        if r.returncode != 0:
            problem(f"pkg-config cannot find {pc} (install {dev})")
            continue
        owner = dpkg_owner(r.stdout.strip())
        if owner != dev and owner not in depends_of(dev):
            problem(f"{pc}.pc belongs to {owner}, which is neither {dev} nor one of its dependencies")
    if not binary:
        return
    out = subprocess.run(["readelf", "-d", binary], capture_output=True, text=True).stdout
    ldcache = subprocess.run(["ldconfig", "-p"], capture_output=True, text=True).stdout
    for lib in re.findall(r"\(NEEDED\).*\[(.+)\]", out):
        m = re.search(r"^\s*" + re.escape(lib) + r" \(.*x86-64.*\) => (\S+)", ldcache, re.M) or \
            re.search(r"^\s*" + re.escape(lib) + r" .* => (\S+)", ldcache, re.M)
        if not m:
            problem(f"{binary} needs {lib}, which ldconfig does not know")
            continue
        owner = dpkg_owner(m.group(1))
        if owner is None:
            problem(f"{binary} needs {lib} ({m.group(1)}), which no Debian package owns")
        elif owner not in runtime_pkgs and owner not in BASE_RUNTIME:
            problem(f"{binary} links {lib} from {owner}, which the runtime stage does not install")


def main(argv):
    args = argv[1:]
    binary = None
    if "--binary" in args:
        i = args.index("--binary")
        binary = args[i + 1]
        del args[i:i + 2]
    if len(args) != 3:
        print(__doc__ if __doc__ else "usage: dockerfile_check.py DOCKERFILE INSTALL_DEPS MAKEFILE")
        return 2
    dockerfile, deps, makefile = args
    stages = parse_dockerfile(dockerfile)
    bpkgs = shell_list(deps, "BUILD_PKGS")
    # BUILD_PKGS entries only the tests, fuzzing and benchmarks need (not `make all`)
    test_only = set(shell_list(deps, "TEST_ONLY_PKGS"))
    for p in test_only - set(bpkgs):
        problem(f"TEST_ONLY_PKGS has {p}, which BUILD_PKGS does not list")
    mk_pkgs, targets = makefile_info(makefile)
    if len(stages) < 2:
        problem(f"{len(stages)} stage(s): want a build stage and a runtime stage")
        return 1
    for st in stages:
        if st["base"] not in ALLOWED_BASES:
            problem(f"stage {st['name']}: base {st['base']} is not Debian bookworm")
    build, final = stages[0], stages[-1]
    build_apt, build_runs = apt_installs(build)
    final_apt, final_runs = apt_installs(final)
    for arg, toks in build_runs + final_runs:
        if "--no-install-recommends" not in toks:
            problem(f"apt-get install without --no-install-recommends: {' '.join(toks)}")
        if "/var/lib/apt/lists" not in arg:
            problem("a RUN with apt-get install leaves /var/lib/apt/lists behind")

    # The build stage: every BUILD_PKGS package `make all` needs; make targets that exist.
    for p in bpkgs:
        if p not in test_only and p not in build_apt:
            problem(f"build stage lacks {p} (BUILD_PKGS in {deps})")
    for p in build_apt:
        if p not in bpkgs:
            problem(f"build stage installs {p}, which BUILD_PKGS in {deps} does not list")
        elif p in test_only:
            problem(f"build stage installs {p}, a test-only package (TEST_ONLY_PKGS)")
    for pc in mk_pkgs:
        if pc not in PC_DEV:
            problem(f"Makefile PKGS has {pc}: add its -dev package to PC_DEV in {argv[0]}")
        elif PC_DEV[pc] not in bpkgs:
            problem(f"Makefile PKGS has {pc}, but BUILD_PKGS lacks {PC_DEV[pc]}")
    make_targets = []
    for kw, arg in build["ins"]:
        if kw == "RUN":
            for seg in re.split(r"&&|;", arg):
                toks = shlex.split(seg)
                if toks and toks[0] == "make":
                    make_targets += [t for t in toks[1:] if not t.startswith("-") and "=" not in t]
    if not make_targets:
        problem("the build stage runs no make target")
    for t in make_targets:
        if t not in targets:
            problem(f"the build stage runs `make {t}`, which the Makefile does not define")

    # The runtime stage: the runtime library of every -dev package.
    for p in bpkgs:
        if p in test_only or not p.endswith("-dev"):
            continue
        if p not in DEV_RUNTIME:
            problem(f"{p} has no runtime package in DEV_RUNTIME of {argv[0]}")
        elif DEV_RUNTIME[p] not in final_apt:
            problem(f"runtime stage lacks {DEV_RUNTIME[p]} (the runtime library of {p})")
    for p in final_apt:
        if p.endswith("-dev"):
            problem(f"runtime stage installs the -dev package {p}")

    # The runtime stage's shape.
    ins = final["ins"]
    users = [a for k, a in ins if k == "USER"]
    if not users:
        problem("runtime stage has no USER: it would run as root")
    else:
        uid = users[-1].split(":")[0]
        if not uid.isdigit() or uid == "0":
            problem(f"USER {users[-1]}: want a fixed non-zero numeric uid")
    if not any(k == "EXPOSE" and "9201" in a.split() for k, a in ins):
        problem("runtime stage does not EXPOSE 9201")
    volumes = []
    for k, a in ins:
        if k == "VOLUME":
            volumes += re.findall(r'"([^"]+)"', a) if a.startswith("[") else a.split()
    env = {}
    for k, a in ins:
        if k == "ENV":
            for tok in shlex.split(a):
                if "=" in tok:
                    n, _, v = tok.partition("=")
                    env[n] = v
    for var in ("MODEL_FILES_DIR", "FORECAST_PLOTS_DIR"):
        v = env.get(var)
        if not v:
            problem(f"runtime stage does not set {var}")
        elif not any(v == vol or v.startswith(vol.rstrip("/") + "/") for vol in volumes):
            problem(f"{var}={v} is not under a VOLUME ({' '.join(volumes) or 'none'})")
    copies = [a for k, a in ins if k == "COPY" and f"--from={build['name']}" in a]
    if not any("metrics-ai" in a for a in copies):
        problem(f"runtime stage does not COPY metrics-ai --from={build['name']}")
    if not any(k == "ENTRYPOINT" for k, _ in ins):
        problem("runtime stage has no ENTRYPOINT")

    cross_check(binary, set(final_apt), set(bpkgs))
    if not problems:
        print(f"dockerfile-check: ok ({len(stages)} stages; build stage {len(build_apt)} packages, "
              f"runtime stage {len(final_apt)} packages)")
    return 1 if problems else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
