"""Redact credentials in ``text``: API keys and tokens, private keys, passwords.

Every rule is an RE2 pattern run through ``pyarrow.compute`` (``count_substring_regex``
then ``replace_substring_regex``) over the whole batch, as in :mod:`curate.filters.pii`:
no Python loop over documents.  RE2 has no look-around, so

* a pattern takes the context it needs (the key of an assignment, the quotes) as capture
  groups and writes them back;
* values that are obviously not secrets (``"changeme"``, ``"<password>"``, ``"${VAR}"``,
  ``"xxxx"``) are first *protected*: a private sentinel character is put in front of them,
  which the value patterns refuse; the sentinels are removed at the end;
* placeholders are written with the same sentinel in front, so a later rule never takes a
  placeholder for a value;
* a rule that needs two conditions on one value (generic tokens: a digit *and* a letter)
  first brackets candidate values with an opening and a closing marker, then replaces the
  bracketed values that pass;
* cheap trigger patterns pick the rows (and the rules) worth running: most files have no
  key-like assignment and no token prefix at all.

Sources: the StarCoder PII pipeline (Li et al. 2023, section 4; bigcode-dataset
``pii/utils/keys_detection.py``: detect-secrets plugins, ``<KEY>``-style placeholders), the
detect-secrets plugins (Yelp: AWS, GitHub, JWT, npm, private keys, SendGrid, Slack,
Stripe, Twilio, keyword assignments and their templated-value filters) and gitleaks'
rules (``cmd/generate/config/rules``: AWS ``(?:A3T[A-Z0-9]|AKIA|ASIA|ABIA|ACCA)`` ids
and the ``...EXAMPLE`` allow-list, GitHub ``gh[pousr]_`` / ``github_pat_``, GitLab
``glpat-``, Slack, Stripe, Google ``AIza``, OpenAI ``T3BlbkFJ``, Anthropic ``sk-ant-``,
SendGrid ``SG.``, npm ``npm_``, JWT, generic keyword assignments).  Patterns were written
for this module from those rules' token formats; no code was copied.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import lru_cache

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

from curate.registry import register
from curate.schema import TEXT
from curate.stage import Stage, put_column

from .pii import SENTINEL, SENTINEL_RE

# Noncharacters (they do not occur in real text): SENTINEL (the PII masker's) protects a
# value or marks a written placeholder; OPEN and CLOSE bracket a candidate value for a
# second check (two characters, so that the check never spans the text between two
# candidates).
OPEN = "\ufdd1"
CLOSE = "\ufdd2"
_S = SENTINEL_RE
_O = r"\x{FDD1}"
_C = r"\x{FDD2}"
_M = _O + _C  # both, for character classes

DEFAULT_PLACEHOLDERS: dict[str, str] = {
    "private_key": "<PRIVATE_KEY>",
    "jwt": "<SECRET_JWT>",
    "url_password": "<PASSWORD>",
    "aws_access_key": "<SECRET_AWS_ACCESS_KEY>",
    "aws_secret_key": "<SECRET_AWS_SECRET_KEY>",
    "github_token": "<SECRET_GITHUB_TOKEN>",
    "gitlab_token": "<SECRET_GITLAB_TOKEN>",
    "slack_webhook": "<SECRET_SLACK_WEBHOOK>",
    "slack_token": "<SECRET_SLACK_TOKEN>",
    "stripe_key": "<SECRET_STRIPE_KEY>",
    "google_api_key": "<SECRET_GOOGLE_API_KEY>",
    "anthropic_key": "<SECRET_ANTHROPIC_KEY>",
    "openai_key": "<SECRET_OPENAI_KEY>",
    "twilio_key": "<SECRET_TWILIO_KEY>",
    "sendgrid_key": "<SECRET_SENDGRID_KEY>",
    "npm_token": "<SECRET_NPM_TOKEN>",
    "password": "<PASSWORD>",
    "generic_secret": "<SECRET>",
}
KINDS = tuple(DEFAULT_PLACEHOLDERS)

# -- obvious non-secrets ----------------------------------------------------------------------
# Whole values that are placeholders, example passwords or words (case-insensitive).
_PLACEHOLDER_WORDS = (
    r"pass(?:word|wd|phrase)?s?|pwd|secrets?|tokens?|api[_\-]?keys?|keys?|credentials?"
    r"|none|null|nil|undefined|empty|blank|missing|unset|disabled|required|optional"
    r"|admin|administrator|root|users?|username|guest|anonymous|default|string|str|text"
    r"|values?|foo|bar|baz|qux|foobar|hunter2|qwerty|letmein|changeit|notasecret|sekret"
    r"|s3cr3t|p@ssw0rd|p@ssword|passw0rd|password1|password123|123456|12345678|abc123"
    r"|true|false|yes|no|on|off|postgres|mysql|mariadb|oracle"
)
# Runs of one character ("xxxx", "****", "....", "0000").
_REPEATS = r"x+|\*+|\.+|#+|-+|_+|0+|\x{2022}+"
# Values starting like a template, an example or an instruction.
_PLACEHOLDER_PREFIXES = (
    r"your|xxx|\*\*\*|\.\.\.|change[_\-. ]?me|replace|insert|enter[_\- ]|put[_\- ]?your"
    r"|fake|dummy|example|sample|test|placeholder|redacted|hidden|todo|fixme|tbd"
    r"|my[_\-]?(?:pass|secret|token|key|api)|env\(|process\.env|os\.environ|getenv"
)
_Q = "[\"'\x60]"  # a quote: ' " `
_QUOTED_PROTECT_RES = (
    rf"({_Q})((?i:{_PLACEHOLDER_WORDS}|{_REPEATS}){_Q})",
    rf"({_Q})((?i:{_PLACEHOLDER_PREFIXES}))",
)
# Unquoted values after "=" / ":" (.env, YAML, URLs' user:password@).
_UNQUOTED_PROTECT_RE = (
    rf"([=:][ \t]*)((?i:(?:{_PLACEHOLDER_WORDS}|{_REPEATS})"
    rf"(?:[ \t]*(?:#[^\r\n]*)?(?:\r?\n|$)|@)|{_PLACEHOLDER_PREFIXES}))"
)
# Values that are examples or truncated: "...EXAMPLE...", "abc...", "AQoXXXXXXXX", UUIDs
# (request ids far more often than keys; detect-secrets' is_potential_uuid filter, which
# StarCoder's redaction used), or that spell out a password ("SomeKindOfPassword1").
_EXAMPLE_INSIDE = r"EXAMPLE|\.\.\.|XXXX|xxxx|\*\*\*\*|(?i:passw(?:or)?d)"
_UUID = r"[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}"
_EXAMPLE_PROTECT_RES = (
    rf"({_Q})([^\"'\x60\s]*(?:{_EXAMPLE_INSIDE})[^\"'\x60\s]*{_Q})",
    rf"({_Q})({_UUID}{_Q})",
    rf"([=:][ \t]*)([^\"'\x60\s]*(?:{_EXAMPLE_INSIDE})|{_UUID}(?:\s|$))",
)
# AWS's documented example credentials (an id ending in EXAMPLE, a key ending in EXAMPLEKEY).
_AWS_EXAMPLE_PROTECT_RES = (
    r"\b((?:AKIA|ASIA)[A-Z0-9]{9})(EXAMPLE)\b",
    r"([A-Za-z0-9/+]{30})(EXAMPLEKEY)",
)

# -- keys of assignments ----------------------------------------------------------------------
_ID = r"[A-Za-z0-9_.\-]"
_PASSWORD_KEY = (
    rf"(?:{_ID}*(?i:password|passwd|passphrase|pwd)|(?:{_ID}*[_.\-]|\$)(?i:pass))"
)
_KEY_WORDS = r"api|access|auth|private|secret|client|app|master|encryption|signing|service"
_SECRET_KEY = rf"{_ID}*(?i:secret|token|(?:{_KEY_WORDS})[_.\-]?key|credentials?)"
_SECRET_KEY_UPPER = rf"[A-Z0-9_]*(?:SECRET|TOKEN|(?:{_KEY_WORDS.upper()})_?KEY|CREDENTIALS?)"
_PASSWORD_KEY_UPPER = r"[A-Z0-9_]*(?:PASSWORD|PASSWD|PASSPHRASE|PWD)"
# Key then operator: `key = `, `key: `, `key := `, `key => `, `"key": `, `['key'] = `,
# `key: str = ` (an annotation).
_ASSIGN = (
    rf"{_Q}?\]?[ \t]*(?::[ \t]*[A-Za-z_][A-Za-z0-9_.]*(?:\[[A-Za-z0-9_., |]*\])?[ \t]*="
    r"|:=|=>|=|:)[ \t]*"
)
_STRING_PREFIX = r"(?:[bBrRuU]|[bB][rR]|[rR][bB])?"
_BEFORE_KEY = r"(?:^|[^A-Za-z0-9_.\-])"
# A quoted value: no quotes, whitespace, backslashes, template braces or angle brackets,
# not starting with "$" or "%" (shell / printf templates).
_NOT_VALUE = rf"\"'\x60\s<>{{}}\\{_S}{_M}"


def _quoted_value(min_length: int) -> str:
    return rf"[^{_NOT_VALUE}$%\[][^{_NOT_VALUE}]{{{max(min_length - 1, 0)},}}"


def _bare_value(min_length: int) -> str:
    """An unquoted value running to the end of the line (a comment may follow)."""
    stop = rf"\s\"'\x60<>{{}}()\[\]\\,;{_S}{_M}"
    return rf"[^{stop}$%#&*!|][^{stop}]{{{max(min_length - 1, 0)},}}"


_LINE_END = r"([ \t]*(?:#[^\r\n]*)?\r?)$"
# A generic secret has a digit and a letter (identifiers and words are not secrets).
_DIGIT_AND_LETTER = (
    rf"{_O}([^{_M}]*(?:[0-9][^{_M}]*[A-Za-z]|[A-Za-z][^{_M}]*[0-9])[^{_M}]*){_C}"
)

# Rows worth looking at.  Every assignment rule needs a key then ":" or "=" ...
_ASSIGNMENT_TRIGGER_RE = (
    rf"(?i:pass|pwd|secret|token|(?:{_KEY_WORDS})[_.\-]?key|credential)[^\n:=]{{0,40}}[:=]"
)
# ... and every other rule one of these.
_TOKEN_TRIGGER_RE = (
    r"AKIA|ASIA|ABIA|ACCA|A3T|gh[pousr]_|github_pat_|glpat-|xox[abposr]-|hooks\.slack\.com"
    r"|[rs]k_(?:live|prod)_|AIza|\bsk-|\bSG\.|\bnpm_|_authToken|\beyJ|PRIVATE KEY"
    r"|://[^\s/@]*:[^\s/@]*@|\b(?:AC|SK)[0-9a-f]{32}\b"
)
# Kinds found by their key (the assignment trigger); the others by their format.
_ASSIGNMENT_KINDS = ("password", "generic_secret", "aws_secret_key")
# Tokens that are not credentials: pagination cursors, idempotency and change tokens.
_NON_SECRET_TOKEN_PROTECT_RE = (
    r"((?i:(?:next|page|continuation|pagination|cursor|output|input|request|change|sync"
    r"|idempotency|purchase|client|public[_.\-]?key)[_.\-]?token)"
    rf"{_ASSIGN}{_STRING_PREFIX}{_Q}?)([^\s])"
)


@dataclass(frozen=True)
class SecretRule:
    """One pattern of a kind.  ``rewrite`` is an RE2 rewrite where ``{p}`` stands for the
    kind's placeholder.  With ``check``, ``rewrite`` only brackets candidate values with
    OPEN / CLOSE, and the bracketed values matching ``check`` (an RE2 pattern whose group 1 is the
    value) become the placeholder.  ``config_only`` rules run on configuration files only."""

    kind: str
    pattern: str
    rewrite: str
    check: str | None = None
    config_only: bool = False


@lru_cache(maxsize=16)
def build_rules(min_password_length: int, min_secret_length: int) -> tuple[SecretRule, ...]:
    """The rules, in the order they run (the most specific formats first)."""
    pw_q, sec_q = _quoted_value(min_password_length), _quoted_value(min_secret_length)
    pw_b, sec_b = _bare_value(min_password_length), _bare_value(min_secret_length)
    not_url = rf"\s:@/?#\"'\x60<>{{}}\[\]\\{_S}"
    url_user = rf"[^{not_url}]{{1,128}}"
    url_pw = rf"[^{not_url}$%][^{not_url}]{{{max(min_password_length - 1, 0)},}}"
    quoted_key = rf"({_BEFORE_KEY}%s{_ASSIGN}{_STRING_PREFIX})({_Q})(%s)({_Q})"
    config_key = rf"(?m)^([ \t]*(?:-[ \t]+)?{_Q}?%s{_Q}?[ \t]*[:=][ \t]*)(%s){_LINE_END}"
    env_key = rf"(?m)^([ \t]*(?:export[ \t]+)?%s=)(%s){_LINE_END}"
    return (
        # PEM blocks: BEGIN ... PRIVATE KEY, a body without a run of five dashes, END.
        SecretRule(
            "private_key",
            r"-----BEGIN[A-Z0-9 ]*PRIVATE KEY(?: BLOCK)?-----(?:[^-<>]|-{1,4}[^-<>]){64,}"
            r"-----END[A-Z0-9 ]*PRIVATE KEY(?: BLOCK)?-----",
            "{p}",
        ),
        SecretRule(
            "jwt", r"\beyJ[A-Za-z0-9_\-]{10,}\.eyJ[A-Za-z0-9_\-]{10,}\.[A-Za-z0-9_\-]{10,}", "{p}"
        ),
        SecretRule(
            "url_password",
            rf"\b([A-Za-z][A-Za-z0-9+.\-]{{1,20}}://{url_user}:)({url_pw})@",
            r"\1{p}@",
        ),
        SecretRule("aws_access_key", r"\b(?:AKIA|ASIA|ABIA|ACCA|A3T[A-Z0-9])[A-Z0-9]{16}\b", "{p}"),
        SecretRule(
            "aws_secret_key",
            r"(?i)((?:aws[_.\-]?secret[_.\-]?(?:access[_.\-]?)?key|secret[_.\-]?access[_.\-]?key)"
            rf"{_ASSIGN}{_Q}?)([A-Za-z0-9/+]{{40}})([^A-Za-z0-9/+=]|$)",
            r"\1{p}\3",
        ),
        SecretRule(
            "github_token", r"\b(?:gh[pousr]_[A-Za-z0-9]{36}|github_pat_[A-Za-z0-9_]{82})\b", "{p}"
        ),
        SecretRule("gitlab_token", r"\bglpat-[A-Za-z0-9_\-]{20,}", "{p}"),
        SecretRule(
            "slack_webhook",
            r"(?:https?://)?hooks\.slack\.com/(?:services|workflows|triggers)/[A-Za-z0-9+/_\-]{20,}",
            "{p}",
        ),
        SecretRule("slack_token", r"\bxox[abposr]-(?:[0-9]+-)+[0-9A-Za-z\-]{8,}", "{p}"),
        SecretRule("stripe_key", r"\b[rs]k_(?:live|prod)_[0-9A-Za-z]{10,}\b", "{p}"),
        SecretRule("google_api_key", r"\bAIza[0-9A-Za-z_\-]{35}", "{p}"),
        SecretRule("anthropic_key", r"\bsk-ant-[a-z]{2,10}[0-9]{2}-[A-Za-z0-9_\-]{40,}", "{p}"),
        SecretRule(
            "openai_key",
            r"\bsk-(?:proj-|svcacct-|admin-)?[A-Za-z0-9_\-]{16,}T3BlbkFJ[A-Za-z0-9_\-]{16,}"
            r"|\bsk-(?:proj|svcacct|admin)-[A-Za-z0-9_\-]{40,}",
            "{p}",
        ),
        SecretRule("twilio_key", r"\b(?:AC|SK)[0-9a-f]{32}\b", "{p}"),
        SecretRule("sendgrid_key", r"\bSG\.[A-Za-z0-9_\-]{22}\.[A-Za-z0-9_\-]{43}", "{p}"),
        SecretRule("npm_token", r"\bnpm_[A-Za-z0-9]{36}\b", "{p}"),
        SecretRule("npm_token", rf"(_authToken[ \t]*=[ \t]*)({sec_b})", r"\1{p}"),
        # Assignments of a quoted literal: key, operator, quote, value, quote.
        SecretRule("password", quoted_key % (_PASSWORD_KEY, pw_q), r"\1\2{p}\4"),
        SecretRule(
            "generic_secret", quoted_key % (_SECRET_KEY, sec_q), rf"\1\2{OPEN}\3{CLOSE}\4",
            check=_DIGIT_AND_LETTER,
        ),
        # .env / shell: KEY=value at the start of a line (upper-case keys, no spaces).
        SecretRule("password", env_key % (_PASSWORD_KEY_UPPER, pw_b), r"\1{p}\3"),
        SecretRule(
            "generic_secret", env_key % (_SECRET_KEY_UPPER, sec_b), rf"\1{OPEN}\2{CLOSE}\3",
            check=_DIGIT_AND_LETTER,
        ),
        # Configuration files: `key: value` / `key = value` lines (YAML, INI, properties).
        SecretRule("password", config_key % (_PASSWORD_KEY, pw_b), r"\1{p}\3", config_only=True),
        SecretRule(
            "generic_secret", config_key % (_SECRET_KEY, sec_b), rf"\1{OPEN}\2{CLOSE}\3",
            check=_DIGIT_AND_LETTER, config_only=True,
        ),
    )


DEFAULT_CONFIG_EXTENSIONS = (
    "env", "yaml", "yml", "ini", "cfg", "conf", "cnf", "properties", "toml", "sh", "bash",
    "zsh", "envrc", "",
)
DEFAULT_CONFIG_LANGUAGES = (
    "YAML", "INI", "TOML", "Dotenv", "Shell", "Java Properties", "Dockerfile", "Git Config",
)


def _rewrite_literal(text: str) -> str:
    """A literal for an RE2 rewrite string (backslashes are its escape character)."""
    return text.replace("\\", "\\\\")


def _np_bool(values: pa.Array | pa.ChunkedArray) -> np.ndarray:
    if isinstance(values, pa.ChunkedArray):
        values = values.combine_chunks()
    return pc.fill_null(values, False).to_numpy(zero_copy_only=False).astype(bool)


def _np_int(values: pa.Array | pa.ChunkedArray) -> np.ndarray:
    if isinstance(values, pa.ChunkedArray):
        values = values.combine_chunks()
    return pc.fill_null(values, 0).to_numpy(zero_copy_only=False).astype(np.int64)


@register
class SecretsRedactor(Stage):
    """Replace credentials in ``text`` with placeholders, and count them per document.

    Changes ``text``; drops nothing.  Kinds (and default placeholders), in the order the
    rules run:

    - ``private_key``: PEM blocks ``-----BEGIN ... PRIVATE KEY-----`` through ``-----END
      ... PRIVATE KEY-----`` over any number of lines (RSA, EC, DSA, OpenSSH, PGP,
      PKCS#8, encrypted), also inside string literals, with a body of 64 characters or
      more and no ``<`` / ``>`` (not ``<your key here>``) -> ``<PRIVATE_KEY>``;
    - ``jwt``: JSON Web Tokens ``eyJ....eyJ....sig``;
    - ``url_password``: the password of ``scheme://user:{password}@host`` (user and host
      stay) -> ``<PASSWORD>``;
    - ``aws_access_key`` (``AKIA`` / ``ASIA`` / ``ABIA`` / ``ACCA`` / ``A3T?`` + 16),
      ``aws_secret_key`` (40 characters assigned to an ``aws_secret_access_key``-like key),
      ``github_token`` (``ghp_ gho_ ghu_ ghs_ ghr_`` + 36, ``github_pat_`` + 82),
      ``gitlab_token`` (``glpat-``), ``slack_webhook``, ``slack_token`` (``xoxb- xoxp-
      xoxa- xoxr- xoxs- xoxo-`` with a numeric part), ``stripe_key`` (``sk_live_`` /
      ``rk_live_``), ``google_api_key`` (``AIza`` + 35), ``anthropic_key`` (``sk-ant-``),
      ``openai_key`` (``sk-...T3BlbkFJ...``, ``sk-proj-``), ``twilio_key`` (``AC`` / ``SK``
      + 32 hex), ``sendgrid_key`` (``SG.x.y``), ``npm_token`` (``npm_`` + 36, ``.npmrc``
      ``_authToken=``) -> ``<SECRET_..._KEY>`` / ``<SECRET_..._TOKEN>``;
    - ``password``: a literal assigned to a password-like key (``password``, ``passwd``,
      ``passphrase``, ``pwd``, ``db_pass``...): ``password = "..."``, ``"password":
      "..."``, ``'password' => '...'``, ``password := "..."``, ``password: str = "..."``,
      a ``PASSWORD=...`` line (.env / shell) and, in configuration files, ``password:
      ...`` / ``password = ...`` lines (YAML, INI, properties) -> ``<PASSWORD>``;
    - ``generic_secret``: the same for ``secret``, ``token``, ``api_key``, ``access_key``,
      ``private_key``, ``credentials`` keys, when the value has a digit and a letter ->
      ``<SECRET>``.

    The key, the operator and the quotes stay: ``password = "<PASSWORD>"``.  Not redacted
    (precision matters: a redacted identifier damages code that is kept for training):
    values shorter than ``min_password_length`` (6) / ``min_secret_length`` (12);
    templates and lookups (``"${DB_PASS}"``, ``"{password}"``, ``"%s"``, ``"<token>"``,
    ``os.environ["X"]``, ``getenv(...)``: not literals); placeholders and example values
    (``"changeme"``, ``"your_api_key"``, ``"xxxx"``, ``"****"``, ``"password"``,
    ``"example..."``, ``"test..."``, ``"hunter2"``, ``"postgres"``, values containing
    ``EXAMPLE``, ``...``, ``XXXX`` or the word password, ARM-style ``"[parameters(...)]"``);
    UUIDs (request ids far more often than keys, as detect-secrets' filter assumes);
    pagination, idempotency and change tokens (``nextToken``, ``ClientRequestToken``,
    ``ChangeToken``, ``publicKeyToken``...); values with whitespace, quotes or
    backslashes; comparisons (``password == "..."``); AWS's documented example keys.
    Known limits: a key split from its value by a line break, and secrets in languages'
    raw multi-line strings, are not seen; the noncharacters U+FDD0 to U+FDD2, used
    internally as markers, are removed from the texts examined.

    ``kinds`` limits the kinds redacted (default all); ``placeholders`` overrides
    placeholders by kind (taken literally).  The configuration-file rules apply to rows
    whose ``extension_column`` is in ``config_extensions`` (``""``: no extension, e.g.
    ``.env``, ``Dockerfile``) or whose ``language_column`` is in ``config_languages``;
    to every row when the batch has neither column.

    Writes ``secrets_redacted`` (int32: replacements in the row) and ``secrets_by_kind``
    (a struct of one int32 per enabled kind; not written when ``kinds`` is empty).
    """

    kinds: list[str] | None = None
    placeholders: dict[str, str] | None = None
    min_password_length: int = 6
    min_secret_length: int = 12
    config_extensions: list[str] | None = None
    config_languages: list[str] | None = None
    text_column: str = TEXT
    extension_column: str = "extension"
    language_column: str = "language"
    count_columns: bool = True

    def validate(self) -> None:
        super().validate()
        unknown = set(self.kinds or ()) | set(self.placeholders or {})
        unknown -= set(KINDS)
        if unknown:
            raise ValueError(
                f"secrets_redactor: unknown kind(s) {sorted(unknown)}; known: {', '.join(KINDS)}"
            )

    @property
    def enabled_kinds(self) -> tuple[str, ...]:
        wanted = set(KINDS if self.kinds is None else self.kinds)
        return tuple(k for k in KINDS if k in wanted)

    def _placeholder(self, kind: str) -> str:
        return {**DEFAULT_PLACEHOLDERS, **(self.placeholders or {})}[kind]

    # -- redaction ------------------------------------------------------------------------------
    def redact(
        self, text: pa.Array | pa.ChunkedArray, config_rows: np.ndarray | None = None
    ) -> tuple[pa.Array, dict[str, np.ndarray]]:
        """Redact ``text``; returns the new text and the counts per kind (int64 arrays).

        ``config_rows`` (one bool per row) selects the rows the configuration-file rules
        apply to (default: all)."""
        if isinstance(text, pa.ChunkedArray):
            text = text.combine_chunks() if text.num_chunks != 1 else text.chunk(0)
        n = len(text)
        kinds = self.enabled_kinds
        counts = {kind: np.zeros(n, dtype=np.int64) for kind in kinds}
        if n == 0 or not kinds:
            return text, counts
        token_hit = _np_bool(pc.match_substring_regex(text, _TOKEN_TRIGGER_RE))
        assign_hit = _np_bool(pc.match_substring_regex(text, _ASSIGNMENT_TRIGGER_RE))
        rows = np.flatnonzero(token_hit | assign_hit)
        if not len(rows):
            return text, counts
        sub = self._protect(text.take(pa.array(rows)))
        config = np.ones(len(rows), dtype=bool) if config_rows is None else config_rows[rows]
        for rule in build_rules(self.min_password_length, self.min_secret_length):
            if rule.kind not in counts:
                continue
            where = assign_hit[rows] if rule.kind in _ASSIGNMENT_KINDS else token_hit[rows]
            if rule.config_only:
                where = where & config
            if not where.any():
                continue
            if where.all():
                sub, found = self._apply(sub, rule)
                counts[rule.kind][rows] += found
                continue
            idx = np.flatnonzero(where)
            part, found = self._apply(sub.take(pa.array(idx)), rule)
            if found.any():
                sub = pc.replace_with_mask(sub, pa.array(where), part.cast(sub.type))
                counts[rule.kind][rows[idx]] += found
        sub = pc.replace_substring_regex(sub, f"[{_S}{_M}]", "")
        mask = np.zeros(n, dtype=bool)
        mask[rows] = True
        return pc.replace_with_mask(text, pa.array(mask), sub.cast(text.type)), counts

    def _protect(self, text: pa.Array) -> pa.Array:
        """Put the sentinel in front of values that must not be redacted."""
        for pattern in (
            *_QUOTED_PROTECT_RES,
            _UNQUOTED_PROTECT_RE,
            *_EXAMPLE_PROTECT_RES,
            *_AWS_EXAMPLE_PROTECT_RES,
            _NON_SECRET_TOKEN_PROTECT_RE,
        ):
            text = pc.replace_substring_regex(text, pattern, rf"\1{SENTINEL}\2")
        return text

    def _apply(self, text: pa.Array, rule: SecretRule) -> tuple[pa.Array, np.ndarray]:
        placeholder = SENTINEL + _rewrite_literal(self._placeholder(rule.kind))
        if rule.check is None:
            found = _np_int(pc.count_substring_regex(text, rule.pattern))
            if found.any():
                rewrite = rule.rewrite.replace("{p}", placeholder)
                text = pc.replace_substring_regex(text, rule.pattern, rewrite)
            return text, found
        if not pc.any(pc.match_substring_regex(text, rule.pattern)).as_py():
            return text, np.zeros(len(text), dtype=np.int64)
        text = pc.replace_substring_regex(text, rule.pattern, rule.rewrite)
        found = _np_int(pc.count_substring_regex(text, rule.check))
        if found.any():
            text = pc.replace_substring_regex(text, rule.check, placeholder)
        return pc.replace_substring_regex(text, f"[{_M}]", ""), found

    def _config_rows(self, table: pa.Table) -> np.ndarray | None:
        has_ext = self.extension_column in table.column_names
        has_lang = self.language_column in table.column_names
        if not (has_ext or has_lang):
            return None
        n = table.num_rows
        out = np.zeros(n, dtype=bool)
        if has_ext:
            extensions = pc.utf8_lower(table[self.extension_column].cast(pa.string()))
            extension_list = DEFAULT_CONFIG_EXTENSIONS if self.config_extensions is None else self.config_extensions
            out |= _np_bool(pc.is_in(extensions, value_set=pa.array(list(extension_list), pa.string())))
        if has_lang:
            languages = table[self.language_column].cast(pa.string())
            language_list = DEFAULT_CONFIG_LANGUAGES if self.config_languages is None else self.config_languages
            out |= _np_bool(pc.is_in(languages, value_set=pa.array(list(language_list), pa.string())))
        return out

    def process(self, table: pa.Table) -> pa.Table:
        idx = table.schema.get_field_index(self.text_column)
        if idx < 0:
            raise ValueError(f"secrets_redactor: the batch has no {self.text_column!r} column")
        text, counts = self.redact(table[self.text_column], self._config_rows(table))
        table = table.set_column(idx, self.text_column, text.cast(table.schema.field(idx).type))
        if self.count_columns:
            n = table.num_rows
            total = np.zeros(n, dtype=np.int64)
            for values in counts.values():
                total += values
            columns = [("secrets_redacted", pa.array(total, pa.int32()))]
            if counts:  # (Parquet has no empty structs)
                by_kind = pa.StructArray.from_arrays(
                    [pa.array(v, pa.int32()) for v in counts.values()], names=list(counts)
                )
                columns.append(("secrets_by_kind", by_kind))
            for name, values in columns:
                table = put_column(table, name, values)
        return table
