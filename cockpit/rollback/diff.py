"""What changes between two task definitions: images, sizes, ports, commands, and the
NAMES of environment variables and secrets added or removed (never a value)."""

from __future__ import annotations

from dataclasses import dataclass

from cockpit.probes.aws.ecs import Container, TaskDefinition


@dataclass(frozen=True)
class Change:
    """One difference: `what` changes from `before` to `after` ('' = absent)."""

    what: str
    before: str
    after: str


def _names(before: tuple[str, ...], after: tuple[str, ...], what: str) -> list[Change]:
    gone = [Change(what, name, "") for name in before if name not in after]
    new = [Change(what, "", name) for name in after if name not in before]
    return gone + new


def _image(name: str, a: Container, b: Container) -> list[Change]:
    if a.image == b.image:
        return []
    repo_a, repo_b = a.image.rsplit(":", 1)[0] if ":" in a.image.rsplit("/", 1)[-1] else a.image, b.image.rsplit(":", 1)[0] if ":" in b.image.rsplit("/", 1)[-1] else b.image
    if repo_a == repo_b and "@" not in a.image + b.image:  # the same repository: the tags say it
        return [Change(f"{name} image {repo_a.rsplit('/', 1)[-1]}", a.image_tag, b.image_tag)]
    return [Change(f"{name} image", a.image, b.image)]


def _container(name: str, a: Container, b: Container) -> list[Change]:
    out = _image(name, a, b)
    for label, x, y in (
        ("cpu", a.cpu, b.cpu),
        ("memory", a.memory, b.memory),
        ("ports", ", ".join(a.ports), ", ".join(b.ports)),
        ("command", " ".join(a.command), " ".join(b.command)),
    ):
        if x != y:
            out.append(Change(f"{name} {label}", "" if x is None else str(x), "" if y is None else str(y)))
    out += _names(a.env_names, b.env_names, f"{name} env")
    out += _names(a.secret_names, b.secret_names, f"{name} secret")
    return out


def diff(current: TaskDefinition, target: TaskDefinition) -> list[Change]:
    """Every difference going from `current` to `target`, task-level first, then per container."""
    out = []
    if current.cpu != target.cpu:
        out.append(Change("task cpu", current.cpu, target.cpu))
    if current.memory != target.memory:
        out.append(Change("task memory", current.memory, target.memory))
    mine = {c.name: c for c in current.containers}
    theirs = {c.name: c for c in target.containers}
    for name, container in mine.items():
        if name not in theirs:
            out.append(Change("container", name, ""))
        else:
            out += _container(name, container, theirs[name])
    out += [Change("container", "", name) for name in theirs if name not in mine]
    return out


def describe(change: Change) -> str:
    """One line: `api image: …:v1.4.2 → …:v1.4.1`, `api env: + NEW_FLAG`, `api secret: − OLD_KEY`."""
    if change.before and change.after:
        return f"{change.what}: {change.before} → {change.after}"
    if change.after:
        return f"{change.what}: + {change.after}"
    return f"{change.what}: − {change.before}"
