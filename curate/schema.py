"""Column names shared by every reader, stage and writer.

Records travel between stages as :class:`pyarrow.Table` batches.  Core columns:

``id``          stable identifier, derived from the input and the record (for WARC the
                WARC-Record-ID), identical on every re-run.
``text``        the document text (null until extraction for raw web records).
``url``         where the document came from (may be null for local datasets).
``source``      the input it was read from (file path or URL).

Raw web records additionally carry ``payload`` (bytes), ``content_type`` and ``charset``
until an extraction stage turns them into ``text``.

Rows dropped by a filter keep flowing with ``_dropped_by`` / ``_reason`` set, so that the
writer can route them to the rejects output; later stages only see live rows.  ``_input``
names the input a row came from, which is what resume bookkeeping is keyed on; ``_row``
(Parquet inputs) its position in that input.
"""

from __future__ import annotations

ID = "id"
TEXT = "text"
URL = "url"
SOURCE = "source"
PAYLOAD = "payload"
CONTENT_TYPE = "content_type"
CHARSET = "charset"
WARC_DATE = "date"

DROPPED_BY = "_dropped_by"
REASON = "_reason"
INPUT_KEY = "_input"
# Row position in the input file (Parquet reader): how global stages find a row again.
ROW = "_row"

INTERNAL_COLUMNS = (DROPPED_BY, REASON, INPUT_KEY, ROW)

# Where a row came from, kept in the intermediate output of a pipeline phase so that a
# later global stage can order documents as the run's inputs were ordered: the input's
# key and the row's position in it.  Dropped from the final output.
ORIGIN = "_origin"
SEQ = "_seq"
ORDER_COLUMNS = (ORIGIN, SEQ)

# Columns only rejected rows carry (the id of the document kept in a duplicate's place).
REJECT_ONLY_COLUMNS = ("duplicate_of",)

# Names the rejects output uses for the internal drop columns.
REJECT_DROPPED_BY = "dropped_by"
REJECT_REASON = "reason"
