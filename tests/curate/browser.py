"""Headless Chromium for the report tests: the browser, a run with nothing reachable but the
file, console errors from its log, per-section pages and a PNG decoder."""

from __future__ import annotations

import re
import shutil
import struct
import subprocess
import zlib
from pathlib import Path

# Nothing but the file: no proxy that answers, no name that resolves.
OFFLINE = ["--proxy-server=127.0.0.1:9", "--host-resolver-rules=MAP * ~NOTFOUND"]
HEADLESS = ["--headless=new", "--disable-gpu", "--no-sandbox", "--hide-scrollbars", "--virtual-time-budget=5000",
            *OFFLINE]
# A console message in chromium's log: [pid:tid:date:LEVEL:CONSOLE(line)] "message", source: ...
CONSOLE = re.compile(r":(INFO|WARNING|ERROR|VERBOSE\d*):CONSOLE[^\]]*\]\s*\"(.*)\", source: ", re.M)
ERROR_WORDS = re.compile(r"error|uncaught|exception|failed", re.I)


def find_browser() -> str | None:
    return shutil.which("chromium") or shutil.which("chromium-browser")


def run_browser(browser: str, page: Path, *args: str, fragment: str = "", timeout: int = 120) -> str:
    """Run headless chromium on ``page`` (offline, with ``args``, at ``#fragment`` when
    given); its stderr log."""
    url = f"file://{page}" + (f"#{fragment}" if fragment else "")
    done = subprocess.run([browser, *HEADLESS, "--enable-logging=stderr", "--v=0", *args, url],
                          capture_output=True, text=True, timeout=timeout, check=True)
    return done.stderr


def dump_dom(browser: str, page: Path, fragment: str = "") -> str:
    """The page's DOM after its scripts ran (offline)."""
    url = f"file://{page}" + (f"#{fragment}" if fragment else "")
    return subprocess.run([browser, *HEADLESS, "--dump-dom", url], capture_output=True, text=True, timeout=120,
                          check=True).stdout


def console_errors(log: str) -> list[str]:
    """The console messages of a chromium log that report an error or an uncaught exception."""
    return [m.group(0) for m in CONSOLE.finditer(log) if m.group(1) == "ERROR" or ERROR_WORDS.search(m.group(2))]


def section_pages(page: str) -> dict[str, str]:
    """Per ``<h2 id="...">`` section: the page with the body holding that section alone (from its
    heading to the next h2 or the first script), the scripts kept."""
    body_start = page.index("<body>") + len("<body>")
    scripts = page.index("<script", body_start)
    starts = [m.start() for m in re.finditer(r"<h2\b", page[:scripts])]
    out: dict[str, str] = {}
    for i, start in enumerate(starts):
        match = re.match(r'<h2 id="([^"]+)"', page[start:])
        if not match:
            continue
        end = starts[i + 1] if i + 1 < len(starts) else scripts
        out[match.group(1)] = page[:body_start] + page[start:end] + page[scripts:]
    return out


def png_pixels(path: Path) -> tuple[int, int, bytes]:
    """Width, height and the decompressed scanlines (filter bytes included) of a PNG."""
    data = path.read_bytes()
    assert data[:8] == b"\x89PNG\r\n\x1a\n", f"{path} is not a PNG"
    pos, idat, width, height = 8, b"", 0, 0
    while pos < len(data):
        (length,) = struct.unpack(">I", data[pos:pos + 4])
        kind, body = data[pos + 4:pos + 8], data[pos + 8:pos + 8 + length]
        if kind == b"IHDR":
            width, height = struct.unpack(">II", body[:8])
        elif kind == b"IDAT":
            idat += body
        pos += 12 + length
    return width, height, zlib.decompress(idat)


def png_rgb(path: Path) -> list[list[tuple[int, int, int]]]:
    """The pixels of an 8-bit RGB or RGBA PNG as rows of (r, g, b), its scanline filters undone."""
    data = path.read_bytes()
    bit_depth, color_type = data[24], data[25]
    assert bit_depth == 8 and color_type in (2, 6), f"{path}: only 8-bit RGB and RGBA PNGs are decoded"
    channels = 3 if color_type == 2 else 4
    width, height, raw = png_pixels(path)
    stride = width * channels
    rows: list[list[tuple[int, int, int]]] = []
    previous = bytearray(stride)
    pos = 0
    for _ in range(height):
        kind, line = raw[pos], bytearray(raw[pos + 1:pos + 1 + stride])
        pos += 1 + stride
        for i in range(stride):
            left = line[i - channels] if i >= channels else 0
            up = previous[i]
            corner = previous[i - channels] if i >= channels else 0
            if kind == 1:
                line[i] = (line[i] + left) & 255
            elif kind == 2:
                line[i] = (line[i] + up) & 255
            elif kind == 3:
                line[i] = (line[i] + (left + up) // 2) & 255
            elif kind == 4:
                p = left + up - corner
                pa, pb, pc = abs(p - left), abs(p - up), abs(p - corner)
                line[i] = (line[i] + (left if pa <= pb and pa <= pc else up if pb <= pc else corner)) & 255
        rows.append([(line[j], line[j + 1], line[j + 2]) for j in range(0, stride, channels)])
        previous = line
    return rows


def colored_pixels(rows: list[list[tuple[int, int, int]]]) -> int:
    """Pixels that are neither white nor grey (a chart's coloured marks; text is black or grey)."""
    return sum(1 for row in rows for r, g, b in row if max(r, g, b) - min(r, g, b) > 40)
