"""``python -m revision_pipeline.deid``: scrub reports read from stdin, one per line.

A line that is a JSON object with a string ``text`` field is written back as JSON with
``text`` scrubbed and all other fields kept; any other line is scrubbed as plain text.
Logging goes to stderr; stdout carries only the scrubbed lines.
"""

from __future__ import annotations

import argparse
import json
import logging
import sys
from collections.abc import Iterable, Sequence
from typing import TextIO

from revision_pipeline.deid.text import scrub

logger = logging.getLogger("revision_pipeline.deid")


def _parse(argv: Sequence[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(
        prog="python -m revision_pipeline.deid",
        description=(
            "Replace PHI (names, ID/phone numbers, e-mail, handles, addresses, record numbers, "
            "exact dates, ages over 89) in reports read from stdin, one per line, by typed "
            "placeholders such as [姓名]. JSON Lines with a 'text' field are scrubbed in "
            "that field and written back with their other fields."
        ),
    )
    parser.add_argument(
        "--known-fields",
        default="",
        help="comma-separated JSON fields whose values are removed from 'text' wherever they "
        "occur (e.g. patient_name,patient_id,exam_id,id_number)",
    )
    parser.add_argument("--encoding", default="utf-8", help="input encoding (default utf-8)")
    parser.add_argument("-v", "--verbose", action="store_true", help="log progress to stderr")
    return parser.parse_args(argv)


def scrub_line(line: str, known_fields: Iterable[str] = ()) -> str:
    """Scrub one input line (without its newline), keeping its format."""
    stripped = line.strip()
    if stripped.startswith("{"):
        try:
            obj = json.loads(stripped)
        except json.JSONDecodeError:
            obj = None
        if isinstance(obj, dict) and isinstance(obj.get("text"), str):
            known = [str(obj[f]) for f in known_fields if obj.get(f) not in (None, "")]
            obj["text"] = scrub(obj["text"], known)
            return json.dumps(obj, ensure_ascii=False)
    return scrub(line)


def run(stdin: TextIO, stdout: TextIO, known_fields: Iterable[str] = ()) -> int:
    """Scrub every line of ``stdin`` to ``stdout``; returns the number of lines."""
    fields = [f for f in known_fields if f]
    n = 0
    for raw in stdin:
        body = raw.rstrip("\r\n")
        stdout.write(scrub_line(body, fields) + raw[len(body) :])
        n += 1
    return n


def main(argv: Sequence[str] | None = None) -> int:
    """Entry point of ``python -m revision_pipeline.deid``."""
    args = _parse(argv)
    logging.basicConfig(
        stream=sys.stderr,
        level=logging.INFO if args.verbose else logging.WARNING,
        format="%(levelname)s %(name)s: %(message)s",
    )
    stdin = open(sys.stdin.fileno(), encoding=args.encoding, errors="replace", closefd=False)  # noqa: SIM115
    stdout = open(sys.stdout.fileno(), "w", encoding="utf-8", closefd=False, newline="")  # noqa: SIM115
    with stdin, stdout:
        n = run(stdin, stdout, args.known_fields.split(","))
    logger.info("scrubbed %d lines", n)
    return 0


if __name__ == "__main__":
    sys.exit(main())
