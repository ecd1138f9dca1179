"""``curate report OUTPUT -o report.html``: one offline HTML page for an output of ``curate run``.

- :mod:`curate.report.data`: what the page shows, as plain dicts (reads a capped sample);
- :mod:`curate.report.charts`: Vega-Lite specs for those dicts;
- :mod:`curate.report.page`: the HTML, with every string escaped and scripts inlined.

:func:`write_report` ties them together.
"""

from __future__ import annotations

from curate.report.build import write_report

__all__ = ["write_report"]
