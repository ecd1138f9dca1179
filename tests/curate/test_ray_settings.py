"""The Ray Data settings curate changes exist in the installed (pinned) Ray.

``op_resource_reservation_enabled`` is a field of ``ray.data.DataContext``, a DeveloperAPI
class that may change in a minor release.  curate sets it only where it exists; this test
makes a Ray upgrade that drops it fail here, in CI, rather than silently slow runs down.
"""

from __future__ import annotations

import dataclasses
from pathlib import Path

import pytest

ray_data = pytest.importorskip("ray.data")

from curate.execution.ray_executor import set_data_context  # noqa: E402

CONSTRAINTS = Path(__file__).resolve().parents[2] / "docker" / "constraints.txt"


def test_the_settings_curate_changes_are_fields_of_this_rays_data_context():
    fields = {f.name for f in dataclasses.fields(ray_data.DataContext)}
    assert "op_resource_reservation_enabled" in fields


def test_the_tested_ray_is_the_pinned_ray():
    import ray

    pins = dict(line.split("==", 1) for line in CONSTRAINTS.read_text().splitlines() if "==" in line and not line.startswith("#"))
    assert pins["ray"] == ray.__version__


def test_a_setting_this_ray_lacks_is_left_at_its_default():
    class Context:
        op_resource_reservation_enabled = True

    ctx = Context()
    assert set_data_context(ctx, op_resource_reservation_enabled=False, no_such_setting=1) == ["no_such_setting"]
    assert ctx.op_resource_reservation_enabled is False and not hasattr(ctx, "no_such_setting")


def test_an_embedded_ray_sends_no_usage_statistics(ray_session):
    """curate's own local Ray reports nothing to ray.io (RAY_USAGE_STATS_ENABLED=0 unless the
    user set it before the run)."""
    from ray._common.usage import usage_lib

    assert not usage_lib.usage_stats_enabled()
