"""The fonts of the report chart: matplotlib's own DejaVu Sans for Latin, Greek and
Cyrillic scripts, then a CJK font so that a Japanese or Chinese chart shows its words, not
empty boxes ("tofu").

No font is fetched at run time: the CJK font is Debian's ``fonts-wqy-microhei`` (1.6 MB,
one file for Simplified Chinese and Japanese), installed by ``make chart-fonts`` (README,
"Deployment"); Noto Sans CJK or Droid Sans Fallback serve as well where a host has one.
Without any, the chart is still drawn (Latin text intact) and a warning is logged once.
"""

from __future__ import annotations

import functools
import logging
from pathlib import Path

from matplotlib import font_manager

log = logging.getLogger(__name__)

#: matplotlib's bundled font, always present: Latin (Polish, Vietnamese...), Greek, Cyrillic
BASE_FAMILY = "DejaVu Sans"
#: CJK families in the order they are tried, each with its file on Debian
CJK_FONTS = (
    ("WenQuanYi Micro Hei", "/usr/share/fonts/truetype/wqy/wqy-microhei.ttc"),
    ("Noto Sans CJK JP", "/usr/share/fonts/opentype/noto/NotoSansCJK-Regular.ttc"),
    ("Droid Sans Fallback", "/usr/share/fonts/truetype/droid/DroidSansFallbackFull.ttf"),
)


def _known_families() -> set[str]:
    return {entry.name for entry in font_manager.fontManager.ttflist}


@functools.cache
def font_families() -> tuple[str, ...]:
    """The fallback list every text of the chart is drawn with (matplotlib takes each glyph
    from the first family that has it): DejaVu Sans, then the first CJK font installed."""
    known = _known_families()
    for family, path in CJK_FONTS:
        if family not in known and Path(path).is_file():
            # installed after matplotlib built its font cache: register the file itself
            font_manager.fontManager.addfont(path)
            known = _known_families()
        if family in known:
            return (BASE_FAMILY, family)
    log.warning(
        "No CJK font found (%s): Japanese and Chinese chart labels will show empty boxes; "
        "install fonts-wqy-microhei (make chart-fonts)",
        ", ".join(family for family, _path in CJK_FONTS),
    )
    return (BASE_FAMILY,)


def font_file(family: str) -> str | None:
    """The file matplotlib draws ``family`` from, None when it has no such font."""
    try:
        return str(
            font_manager.findfont(
                font_manager.FontProperties(family=family), fallback_to_default=False
            )
        )
    except ValueError:
        return None
