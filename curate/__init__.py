"""curate: turn web crawls, books and code into clean training data, on Ray."""

__version__ = "0.1.0"

from curate.pipeline import Pipeline, load_pipeline  # noqa: E402
from curate.registry import register  # noqa: E402
from curate.stage import Filter, Resources, Stage, row_filter  # noqa: E402

__all__ = ["Filter", "Pipeline", "Resources", "Stage", "__version__", "load_pipeline", "register", "row_filter"]
