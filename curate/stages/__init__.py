"""Built-in map stages that are not filters: extraction and language identification.

- :mod:`~curate.stages.extract` -- ``extract_html``: main text from HTML (trafilatura or
  resiliparse), with the cheap-first language cascade and the payload reuse cache.
- :mod:`~curate.stages.html_layout` -- layout tables rendered as blocks and lines.
- :mod:`~curate.stages.decode` -- payload bytes to text (charset detection).
- :mod:`~curate.stages.langid` -- ``fasttext_language_id``.
- :mod:`~curate.stages.datatrove_adapter` -- ``datatrove_step``: run a datatrove filter or
  formatter as a curate stage.

Filters (stages that drop documents by a score) live in :mod:`curate.filters`.
"""
