"""Books as sources: Project Gutenberg texts and HTML pages, EPUBs, and their metadata.

:mod:`~curate.books.gutenberg` cuts PG plain texts to the book, :mod:`~curate.books.pg_html`
does the same for PG HTML pages, :mod:`~curate.books.pg_rdf` reads PG catalogue records,
:mod:`~curate.books.epub` reads EPUB packages chapter by chapter with
:mod:`~curate.books.xhtml_text`.  The readers are in :mod:`curate.readers.books`.
"""
