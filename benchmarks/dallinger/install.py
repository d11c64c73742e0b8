"""Install Dallinger 12.4.0 and its Bartlett1932 demo into a cache outside the repository.

    .venv/bin/python benchmarks/dallinger/install.py
    .venv/bin/python benchmarks/dallinger/install.py --cache /tmp/dlg --demo-from ~/src/Dallinger --demo-rev v12.4.0

What ends up in the cache (default ~/.cache/dallinger-bench/12.4.0, or $DALLINGER_BENCH_CACHE):

- `dist/`: Dallinger's wheel, as PyPI publishes it;
- `constraints.txt`: the pinned versions the wheel ships (its top-level `dev-requirements.txt`,
  which Dallinger's own `dallinger constraints` compiles experiments against);
- `venv/`: a virtualenv of its own with `pip install dallinger==12.4.0 -c constraints.txt`;
- `demo/bartlett1932/`: the demo experiment. Neither the wheel nor the sdist of 12.4.0 holds the
  demos, and the `dlgr.demos` distribution is not on PyPI, so the demo is taken from the
  release's source archive (Dallinger's repository at the tag, `--demo-url`), or from a local
  Dallinger repository (`--demo-from DIR --demo-rev REV`, read with `git archive`) or an
  already downloaded source archive (`--demo-from FILE`).

Nothing of Dallinger's is written into this repository. Running it again reuses what is there.
"""

import argparse
import io
import os
import shutil
import subprocess
import sys
import tarfile
import tempfile
import urllib.request
import zipfile
from pathlib import Path

VERSION = "12.4.0"
DEMO_PATH = "demos/dlgr/demos/bartlett1932"
DEFAULT_DEMO_URL = f"https://github.com/Dallinger/Dallinger/archive/refs/tags/v{VERSION}.tar.gz"


def default_cache() -> Path:
    """Where the installation lives unless told otherwise."""
    configured = os.environ.get("DALLINGER_BENCH_CACHE")
    return Path(configured).expanduser() if configured else Path.home() / ".cache" / "dallinger-bench" / VERSION


def parse_arguments(argv):
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--cache", type=Path, default=default_cache(), help="the installation's folder")
    parser.add_argument("--python", default=sys.executable, help="the Python 3.11+ that makes the virtualenv")
    parser.add_argument("--demo-url", default=DEFAULT_DEMO_URL, help="Dallinger's source archive for the demo")
    parser.add_argument("--demo-from", type=Path, help="a Dallinger git repository or source archive instead")
    parser.add_argument("--demo-rev", default=f"v{VERSION}", help="with a repository: the revision (default the tag)")
    return parser.parse_args(argv)


def run(*command, **kwargs) -> None:
    print("+", " ".join(str(part) for part in command), flush=True)
    subprocess.run([str(part) for part in command], check=True, **kwargs)


def install_dallinger(cache: Path, python: str) -> Path:
    """The virtualenv with Dallinger installed under the wheel's own constraints; its bin folder."""
    venv = cache / "venv"
    marker = venv / f"dallinger-{VERSION}-installed"
    if marker.exists():
        return venv / "bin"
    dist = cache / "dist"
    dist.mkdir(parents=True, exist_ok=True)
    if not venv.exists():
        run(python, "-m", "venv", venv)
    pip = venv / "bin" / "pip"
    wheels = list(dist.glob(f"dallinger-{VERSION}-*.whl"))
    if not wheels:
        run(pip, "download", f"dallinger=={VERSION}", "--no-deps", "--only-binary", ":all:", "-d", dist)
        wheels = list(dist.glob(f"dallinger-{VERSION}-*.whl"))
    with zipfile.ZipFile(wheels[0]) as wheel:
        constraints = wheel.read("dev-requirements.txt")
    (cache / "constraints.txt").write_bytes(constraints)
    run(pip, "install", f"dallinger=={VERSION}", "--find-links", dist, "-c", cache / "constraints.txt")
    marker.write_text(f"dallinger {VERSION} from {wheels[0].name}, constrained by its dev-requirements.txt\n")
    return venv / "bin"


def _extract_demo(archive: tarfile.TarFile, target: Path) -> None:
    """The demo's files from a source archive whose members may sit under one top folder."""
    found = False
    for member in archive.getmembers():
        parts = member.name.split("/")
        for start in range(len(parts)):
            if "/".join(parts[start : start + 4]) == DEMO_PATH:
                relative = parts[start + 4 :]
                break
        else:
            continue
        if not relative or not (member.isfile() or member.isdir()):
            continue
        destination = target.joinpath(*relative)
        if member.isdir():
            destination.mkdir(parents=True, exist_ok=True)
            continue
        destination.parent.mkdir(parents=True, exist_ok=True)
        destination.write_bytes(archive.extractfile(member).read())
        found = True
    if not found:
        raise SystemExit(f"the archive holds no {DEMO_PATH}")


def fetch_demo(cache: Path, options) -> Path:
    """The Bartlett1932 demo in the cache, fetched once."""
    target = cache / "demo" / "bartlett1932"
    if (target / "experiment.py").exists():
        return target
    staging = Path(tempfile.mkdtemp(prefix="bartlett1932-", dir=cache))
    try:
        source = options.demo_from
        if source and source.is_dir():
            data = subprocess.run(
                ["git", "-C", str(source), "archive", "--format=tar", options.demo_rev, DEMO_PATH],
                check=True, capture_output=True,
            ).stdout  # fmt: skip
            archive = tarfile.open(fileobj=io.BytesIO(data))
        elif source:
            archive = tarfile.open(source)
        else:
            print(f"downloading {options.demo_url}", flush=True)
            try:
                with urllib.request.urlopen(options.demo_url, timeout=120) as response:
                    archive = tarfile.open(fileobj=io.BytesIO(response.read()))
            except OSError as error:
                raise SystemExit(
                    f"could not download {options.demo_url} ({error}); give a Dallinger repository or "
                    "source archive with --demo-from"
                ) from None
        with archive:
            _extract_demo(archive, staging)
        target.parent.mkdir(parents=True, exist_ok=True)
        staging.rename(target)
        (cache / "demo" / "SOURCE").write_text(
            f"{source or options.demo_url}{' at ' + options.demo_rev if source and source.is_dir() else ''}\n"
        )
    finally:
        shutil.rmtree(staging, ignore_errors=True)
    return target


def main(argv=None) -> int:
    options = parse_arguments(sys.argv[1:] if argv is None else argv)
    cache = options.cache.expanduser().resolve()
    repository = Path(__file__).resolve().parents[2]
    if cache.is_relative_to(repository):
        raise SystemExit(f"{cache} is inside the repository: Dallinger's files must stay outside it")
    cache.mkdir(parents=True, exist_ok=True)
    try:
        bin_dir = install_dallinger(cache, options.python)
        demo = fetch_demo(cache, options)
    except (subprocess.CalledProcessError, tarfile.TarError) as error:
        raise SystemExit(f"failed: {error}") from None
    print(f"Dallinger {VERSION}: {bin_dir}; demo: {demo}", flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
