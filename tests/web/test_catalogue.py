"""The message catalogues: every message the code and the templates mark is translated
into Chinese, the placeholders agree, and pages no longer carry text pairs of their own."""

from __future__ import annotations

import re
import subprocess
import sys
from pathlib import Path

from babel.messages.pofile import read_po

from web.i18n import TRANSLATIONS

ROOT = Path(__file__).resolve().parents[2]
PYBABEL = Path(sys.executable).parent / "pybabel"


def _extracted(tmp_path) -> list:
    """What ``make translations`` extracts, read back."""
    pot = tmp_path / "messages.pot"
    subprocess.run(
        [PYBABEL, "--quiet", "extract", "-F", "babel.cfg", "-k", "_l", "-k", "_lp:1c,2"]
        + ["-k", "say", "--no-location", "-o", str(pot), "."],
        cwd=ROOT,
        check=True,
    )
    with pot.open("rb") as f:
        return [m for m in read_po(f) if m.id]


def _zh():
    with (TRANSLATIONS / "zh" / "LC_MESSAGES" / "messages.po").open("rb") as f:
        return read_po(f, locale="zh")


def test_every_marked_message_has_a_chinese_translation(tmp_path):
    zh = _zh()
    missing = [
        (m.context, m.id)
        for m in _extracted(tmp_path)
        if not (found := zh.get(m.id, m.context)) or not found.string or found.fuzzy
    ]
    assert not missing, f"untranslated (run `make translations`, then translate): {missing}"


def test_translations_keep_their_placeholders():
    problems = [(m.id, errors) for m, errors in _zh().check() if errors]
    assert not problems
    for m in _zh():
        if m.id and isinstance(m.id, str):
            braces = set(re.findall(r"\{(\w+)", m.id))
            assert set(re.findall(r"\{(\w+)", m.string)) == braces, m.id


def test_templates_take_their_text_from_the_catalogue():
    """A literal pair like L('中文', 'English') would bypass the catalogue (``L`` is for
    names that are data, in both languages)."""
    literal_pair = re.compile(r"""\bL\(\s*['"]|['"]\s+if\s+lang\s*==\s*['"]zh""")
    offenders = [
        f"{p.name}:{n}"
        for p in (ROOT / "web" / "templates").glob("*.html")
        for n, line in enumerate(p.read_text().splitlines(), 1)
        if literal_pair.search(line)
    ]
    assert not offenders
