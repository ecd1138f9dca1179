"""curate.filters.pii: pii_masker masks emails, phone numbers and IP addresses."""

from __future__ import annotations

import ipaddress
import random

import pyarrow as pa
import pytest
from curate.filters import PIIMasker

from curate.registry import build_stage, get_stage_class
from curate.schema import REASON
from curate.stage import run_stage

EM, PH, IP = "<EMAIL_ADDRESS>", "<PHONE_NUMBER>", "<IP_ADDRESS>"

# text, expected text, (emails, phones, ips)
CASES = [
    # -- emails
    ("mail john.doe@example.com now", f"mail {EM} now", (1, 0, 0)),
    ("JOHN_DOE+tag@Sub.Example.CO.UK.", f"{EM}.", (1, 0, 0)),  # sentence dot stays
    ("john@doe.com,jane@doe.com", f"{EM},{EM}", (2, 0, 0)),
    ("<john@doe.com>", f"<{EM}>", (1, 0, 0)),
    ("x?email=jo@mail.org", f"x?email={EM}", (1, 0, 0)),  # the query key is not swallowed
    ("user@xn--bcher-kva.example", EM, (1, 0, 0)),
    ("user@localhost", "user@localhost", (0, 0, 0)),  # no TLD
    ("a@b.c", "a@b.c", (0, 0, 0)),  # one-letter TLD
    ("logo@2x.png and icon@1.5x.webp", "logo@2x.png and icon@1.5x.webp", (0, 0, 0)),  # retina images
    ("@handle and @2x", "@handle and @2x", (0, 0, 0)),
    ("root@10.0.0.1", "root@10.0.0.1", (0, 0, 0)),  # not an email; a private IP
    # -- IPv4
    ("server 8.8.8.8.", f"server {IP}.", (0, 0, 1)),
    ("8.8.8.8 1.1.1.1", f"{IP} {IP}", (0, 0, 2)),  # adjacent addresses
    ("8.8.8.8-8.8.4.4", f"{IP}-{IP}", (0, 0, 2)),
    ("http://93.184.216.34/path", f"http://{IP}/path", (0, 0, 1)),
    ("ip=93.184.216.34:8080", f"ip={IP}:8080", (0, 0, 1)),
    ("version 1.2.3.4", f"version {IP}", (0, 0, 1)),  # ambiguous: public, masked
    ("v1.2.3.4", "v1.2.3.4", (0, 0, 0)),  # glued to a letter: a version
    ("release 1.2.3.4.5", "release 1.2.3.4.5", (0, 0, 0)),  # five parts: a version
    ("oid 1.3.6.1.4.1.311", "oid 1.3.6.1.4.1.311", (0, 0, 0)),
    ("01.02.03.04", "01.02.03.04", (0, 0, 0)),  # leading zeros
    ("256.1.1.1 1.1.1.256", "256.1.1.1 1.1.1.256", (0, 0, 0)),  # octet out of range
    ("10.0.0.1 192.168.1.1 172.16.0.1 127.0.0.1", "10.0.0.1 192.168.1.1 172.16.0.1 127.0.0.1", (0, 0, 0)),
    ("netmask 255.255.255.0", "netmask 255.255.255.0", (0, 0, 0)),
    ("docs 192.0.2.1 198.51.100.7 203.0.113.5", "docs 192.0.2.1 198.51.100.7 203.0.113.5", (0, 0, 0)),
    ("172.32.0.1 is public, 172.31.0.1 not", f"{IP} is public, 172.31.0.1 not", (0, 0, 1)),
    ("100.64.0.1 100.128.0.1", f"100.64.0.1 {IP}", (0, 0, 1)),  # CGNAT edge
    # -- IPv6
    ("2a00:1450:4001:82a::200e", IP, (0, 0, 1)),
    ("dns 2606:4700:4700::1111.", f"dns {IP}.", (0, 0, 1)),
    ("2a03:2880:f12f:83:face:b00c:0:25de", IP, (0, 0, 1)),  # full form
    ("2001:db8::1 and 2001:0db8:85a3::7334", "2001:db8::1 and 2001:0db8:85a3::7334", (0, 0, 0)),  # documentation
    ("fe80::1 ::1 fd00::1 ff02::1", "fe80::1 ::1 fd00::1 ff02::1", (0, 0, 0)),  # not global unicast
    ("std::vector<int> a::b dead::beef", "std::vector<int> a::b dead::beef", (0, 0, 0)),  # C++
    ("MAC 00:1a:2b:3c:4d:5e at 12:30:45", "MAC 00:1a:2b:3c:4d:5e at 12:30:45", (0, 0, 0)),
    # -- phones
    ("+44 20 7946 0958", PH, (0, 1, 0)),
    ("+1-800-555-0199", PH, (0, 1, 0)),
    ("+33 1 23 45 67 89", PH, (0, 1, 0)),
    ("+49 30 123456", PH, (0, 1, 0)),
    ("+1 (415) 555-2671", PH, (0, 1, 0)),
    ("tel:+14155552671", f"tel:{PH}", (0, 1, 0)),
    ("+44 20 7946 0958, +44 20 7946 0959", f"{PH}, {PH}", (0, 2, 0)),
    ("Call (415) 555-2671 or 415-555-2671 or 415.555.2671.", f"Call {PH} or {PH} or {PH}.", (0, 3, 0)),
    ("1-800-555-0199", PH, (0, 1, 0)),
    # phone-shaped numbers are masked though 1xx is no valid NANP exchange code
    ("555-123-4567", PH, (0, 1, 0)),
    ("(555) 123-4567 (283)-182-3829 283-182-3829", f"{PH} {PH} {PH}", (0, 3, 0)),
    ("123-456-7890", "123-456-7890", (0, 0, 0)),  # no NANP area code starts with 1
    ("415-555-2671-22", "415-555-2671-22", (0, 0, 0)),  # part of a longer code: kept whole
    ("score +12 345 678", "score +12 345 678", (0, 0, 0)),  # too few digits after +cc
    ("2024-01-15 and 15.01.2024", "2024-01-15 and 15.01.2024", (0, 0, 0)),  # dates
    ("ISBN 978-3-16-148410-0", "ISBN 978-3-16-148410-0", (0, 0, 0)),
    ("order 5551234567", "order 5551234567", (0, 0, 0)),  # bare digits: an ID as likely
    ("1990-2000 and 12:30-14:45", "1990-2000 and 12:30-14:45", (0, 0, 0)),
    ("at 40.7128, -74.0060", "at 40.7128, -74.0060", (0, 0, 0)),  # coordinates
    ("020 7946 0958", "020 7946 0958", (0, 0, 0)),  # national format without +: kept
    ("a415-555-2671 id415.555.2671x", "a415-555-2671 id415.555.2671x", (0, 0, 0)),  # glued
    ("card 4111-1111-1111-1111", "card 4111-1111-1111-1111", (0, 0, 0)),
    ("C++ 11 20 30 40", "C++ 11 20 30 40", (0, 0, 0)),
    # -- everything together, and texts with nothing
    ("x@y.com 8.8.8.8 +44 20 7946 0958", f"{EM} {IP} {PH}", (1, 1, 1)),
    ("", "", (0, 0, 0)),
    ("plain text, nothing to see", "plain text, nothing to see", (0, 0, 0)),
    ("unicode: café 東京 8.8.8.8 ok", f"unicode: café 東京 {IP} ok", (0, 0, 1)),
]


@pytest.mark.parametrize("text,expected,counts", CASES)
def test_mask(text: str, expected: str, counts: tuple[int, int, int]) -> None:
    masked, found = PIIMasker().mask(pa.array([text], pa.large_string()))
    assert masked.to_pylist() == [expected]
    assert (found["pii_emails"][0].as_py(), found["pii_phones"][0].as_py(), found["pii_ips"][0].as_py()) == counts


def test_a_batch_gives_the_same_answers_as_single_texts() -> None:
    texts = [c[0] for c in CASES]
    masked, found = PIIMasker().mask(pa.chunked_array([texts[:10], texts[10:]], pa.large_string()))
    assert masked.to_pylist() == [c[1] for c in CASES]
    assert found["pii_ips"].to_pylist() == [c[2][2] for c in CASES]


@pytest.mark.parametrize(
    "settings,text,expected",
    [
        ({"mask_private_ips": True}, "10.0.0.1 and 2001:db8::1", f"{IP} and {IP}"),
        ({"mask_private_ips": True}, "v1.2.3.4 1.2.3.4.5", "v1.2.3.4 1.2.3.4.5"),  # versions still kept
        ({"mask_emails": False}, "a@b.com 8.8.8.8", f"a@b.com {IP}"),
        ({"mask_ips": False}, "a@b.com 8.8.8.8", f"{EM} 8.8.8.8"),
        ({"mask_phones": False}, "+44 20 7946 0958", "+44 20 7946 0958"),
        ({"email_placeholder": "[email]", "ip_placeholder": "[ip]"}, "a@b.com 8.8.8.8", "[email] [ip]"),
        ({"ip_placeholder": r"\1$0\x"}, "8.8.8.8", r"\1$0\x"),  # placeholders are literal
        ({"phone_placeholder": "0"}, "x +44 20 7946 0958", "x 0"),
    ],
)
def test_settings(settings: dict, text: str, expected: str) -> None:
    assert PIIMasker(**settings).mask(pa.array([text]))[0].to_pylist() == [expected]


# The ranges pii_masker leaves alone (RFC 6890 special-purpose blocks, multicast, reserved);
# written with ipaddress, independently of the regex, and of Python's is_global (which
# changes between Python versions).
NON_PUBLIC = [
    ipaddress.ip_network(n)
    for n in (
        "0.0.0.0/8", "10.0.0.0/8", "100.64.0.0/10", "127.0.0.0/8", "169.254.0.0/16", "172.16.0.0/12",
        "192.0.0.0/24", "192.0.2.0/24", "192.168.0.0/16", "198.18.0.0/15", "198.51.100.0/24",
        "203.0.113.0/24", "224.0.0.0/4", "240.0.0.0/4",
    )
]


@pytest.mark.parametrize("seed", range(3))
def test_ipv4_public_policy_matches_ipaddress(seed: int) -> None:
    """An address is masked exactly when it is in none of the NON_PUBLIC networks."""
    rng = random.Random(seed)
    firsts = [0, 1, 8, 10, 100, 127, 169, 172, 192, 198, 203, 223, 224, 239, 240, 255]
    addresses = []
    for _ in range(400):
        first = rng.choice(firsts + [rng.randint(0, 255)])
        second = rng.choice([0, 2, 16, 18, 19, 31, 32, 51, 63, 64, 127, 128, 168, 254, rng.randint(0, 255)])
        third = rng.choice([0, 2, 100, 113, rng.randint(0, 255)])
        addresses.append(f"{first}.{second}.{third}.{rng.randint(0, 255)}")
    masked, _ = PIIMasker().mask(pa.array([f"at {a} now" for a in addresses]))
    for address, out in zip(addresses, masked.to_pylist()):
        ip = ipaddress.ip_address(address)
        public = not any(ip in net for net in NON_PUBLIC)
        assert (out == f"at {IP} now") == public, address
        if public:  # and the policy agrees with Python's own notion of global
            assert ip.is_global or ip.is_reserved or ip.is_multicast, address


def test_stage_writes_text_and_int32_counts() -> None:
    table = pa.table(
        {"id": ["1", "2", "3"], "text": pa.array(["a@b.com", None, "8.8.8.8 +44 20 7946 0958"], pa.large_string())}
    )
    out, stats = run_stage(PIIMasker(), table)
    assert out["text"].to_pylist() == [EM, None, f"{IP} {PH}"]
    assert out.schema.field("text").type == pa.large_string()
    for column, values in [("pii_emails", [1, 0, 0]), ("pii_phones", [0, 0, 1]), ("pii_ips", [0, 0, 1])]:
        assert out.schema.field(column).type == pa.int32()
        assert out[column].to_pylist() == values
    assert out[REASON].null_count == 3  # drops nothing
    assert stats.dropped == {}


def test_count_columns_off() -> None:
    out, _ = run_stage(PIIMasker(count_columns=False), pa.table({"text": ["a@b.com"]}))
    assert out.column_names == ["text", "_dropped_by", "_reason"]


def test_registered() -> None:
    assert get_stage_class("pii_masker") is PIIMasker
    assert build_stage("pii_masker", {"mask_phones": False}).mask_phones is False
