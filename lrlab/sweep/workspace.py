"""What a sweep runs: the workspace's commit, which must be on the git remote the workers clone
from, plus the workspace's uncommitted changes to tracked files, sent to every task as a
``git diff --binary HEAD`` patch (``dvc exp run --queue`` likewise runs a stash of the
workspace, not HEAD alone). Untracked files are not sent; the sweep says so. The DVC remote
must take the results: its credentials are checked before any task starts."""

from __future__ import annotations

import re
import subprocess
from dataclasses import dataclass
from pathlib import Path

from lrlab.base.errors import LrlabError


@dataclass(frozen=True)
class Snapshot:
    """The swept state: ``commit`` on git remote ``remote`` (``url``), with ``patch`` applied;
    ``local_config`` is .dvc/config.local (the DVC remote's credentials, if kept there)."""

    root: Path
    commit: str
    branch: str
    remote: str
    url: str
    patch: bytes
    changed: tuple[str, ...]
    untracked: tuple[str, ...]
    local_config: str | None

    def describe(self) -> str:
        """What is swept, in one or two lines."""
        said = f"sweeping commit {self.commit[:7]} ({self.branch}) of {self.url}"
        if self.changed:
            said += f" plus the workspace's uncommitted changes to {', '.join(self.changed)}"
        if "dvc.lock" in self.changed:
            said += (
                "\nnote: dvc.lock is uncommitted, so `dvc exp show` compares the experiments "
                "with the commit's older results. To compare them with this workspace's, stop "
                "and commit and push it first: git commit -am 'dvc repro' && "
                f"git push {self.remote} {self.branch}"
            )
        if self.untracked:
            said += (
                f"\nnot swept, untracked: {', '.join(self.untracked)} "
                "(git add them to include them)"
            )
        return said


def git(root: Path, *args: str, data: bytes | None = None) -> str:
    done = subprocess.run(["git", *args], cwd=root, input=data, capture_output=True)
    if done.returncode != 0:
        raise LrlabError(f"git {' '.join(args)}: {done.stderr.decode(errors='replace').strip()}")
    return done.stdout.decode(errors="replace")


def take(root: Path, remote: str = "origin") -> Snapshot:
    """The workspace at ``root`` as a :class:`Snapshot`, or what to do first."""
    try:
        top = Path(git(root, "rev-parse", "--show-toplevel").strip())
    except LrlabError as exc:
        raise LrlabError(f"{root} is not a git repository: run lrlab sweep in the project") from exc
    commit = git(top, "rev-parse", "HEAD").strip()
    branch = git(top, "rev-parse", "--abbrev-ref", "HEAD").strip()
    try:
        url = git(top, "remote", "get-url", remote).strip()
    except LrlabError as exc:
        raise LrlabError(
            f"no git remote '{remote}': the workers clone the project from it. Add one "
            f"(git remote add {remote} URL; git push -u {remote} {branch}) or name yours "
            "with --git-remote."
        ) from exc
    if (top / url).is_dir():  # a path relative to the project: the workers need it absolute
        url = str((top / url).resolve())
    if not on_remote(top, remote, commit):
        raise LrlabError(
            f"commit {commit[:7]} is not on git remote '{remote}' ({url}), and the workers "
            f"clone from there: push it first (git push {remote} {branch}), then rerun."
        )
    patch = subprocess.run(
        ["git", "diff", "--binary", "HEAD"], cwd=top, capture_output=True, check=True
    ).stdout
    changed = tuple(git(top, "diff", "--name-only", "HEAD").split())
    untracked = tuple(git(top, "ls-files", "--others", "--exclude-standard").split())
    local = top / ".dvc" / "config.local"
    return Snapshot(
        top,
        commit,
        branch,
        remote,
        url,
        patch,
        changed,
        untracked,
        local.read_text() if local.is_file() else None,
    )


def on_remote(root: Path, remote: str, commit: str) -> bool:
    """Whether ``commit`` is contained in a branch or tag that ``remote`` holds now."""
    heads = [line.split()[0] for line in git(root, "ls-remote", remote).splitlines() if line]
    for head in set(heads):
        done = subprocess.run(
            ["git", "merge-base", "--is-ancestor", commit, head], cwd=root, capture_output=True
        )
        if done.returncode == 0:
            return True
    return False


@dataclass(frozen=True)
class DvcRemote:
    name: str
    url: str


def dvc_remote(root: Path) -> DvcRemote:
    """The default DVC remote, checked to answer with the credentials this machine has: the
    results and the shared run cache go there."""
    from dvc.repo import Repo

    with Repo(str(root)) as repo:
        name = repo.config["core"].get("remote")
        if not name:
            raise LrlabError(
                "no default DVC remote: the sweep's results and run cache are shared through "
                "it. Add one: dvc remote add -d store s3://BUCKET/PATH (docs/s3.md)."
            )
        url = repo.config["remote"][name]["url"]
        try:
            odb = repo.cloud.get_remote_odb(name)
            odb.fs.exists(odb.path)
        except Exception as exc:
            raise LrlabError(remote_problem(name, url, str(exc))) from exc
    return DvcRemote(name, url)


REFUSED = ("403", "Forbidden", "AccessDenied", "InvalidAccessKeyId", "SignatureDoesNotMatch")
UNREACHABLE = ("Could not connect", "failed to connect", "Connection refused", "timed out")


def refused(said: str) -> bool:
    """Whether DVC's error ``said`` is a refusal; whole words only, as a hash in a path may
    hold "403"."""
    return any(re.search(rf"\b{word}\b", said) for word in REFUSED)


def remote_trouble(said: str) -> bool:
    """Whether DVC's error ``said`` is about reaching its remote."""
    return refused(said) or any(word in said for word in UNREACHABLE)


def remote_problem(name: str, url: str, said: str) -> str:
    """The one wording of a DVC remote that refused or could not be reached."""
    first = said.strip().splitlines()[0] if said.strip() else "no answer"
    if refused(said):
        return (
            f"DVC remote '{name}' ({url}) refused this machine's credentials ({first}). Set "
            f"them with `dvc remote modify --local {name} access_key_id ...` and "
            "`... secret_access_key ...`, or AWS_ACCESS_KEY_ID / AWS_SECRET_ACCESS_KEY "
            "(docs/s3.md)."
        )
    return f"DVC remote '{name}' ({url}) could not be reached: {first}"
