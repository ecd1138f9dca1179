"""Errors a user can fix, shown as one line (a leaf module: it imports nothing from curate).

Configuration mistakes found while a pipeline is loaded are
:class:`curate.settings.PipelineConfigError` / ``SettingsError``; what is found once a run
looks at its inputs and output is a :class:`RunError`.
"""

from __future__ import annotations


class RunError(RuntimeError):
    """A problem the user can fix; printed as one line."""


__all__ = ["RunError"]
