"""The dev mailbox's preview of an email's HTML: its ``cid:`` images shown inline.

A mail client resolves ``<img src="cid:chart@summit">`` to the MIME part with that
Content-ID. The preview page is not a mail client and its policy allows ``data:`` images
only (no request leaves the sandboxed frame), so each ``cid:`` reference to an attached
image is written as a ``data:`` URI of that very part, in the preview only: the stored
and delivered email keep their ``cid:`` references.
"""

from __future__ import annotations

import base64
import re
from collections.abc import Iterable
from typing import Any

_CID_SRC = re.compile(r"""(\bsrc\s*=\s*)(["'])cid:([^"']+)\2""", re.IGNORECASE)


def inline_cid_images(html: str, attachments: Iterable[Any]) -> str:
    """``html`` with every ``src="cid:X"`` of an attached image part X as a ``data:`` URI.

    A reference to no attached part is left as it is (the preview shows it broken, as a
    mail client would).
    """
    images = {
        att.content_id.strip("<>"): att
        for att in attachments
        if att.content_id and att.content_type.startswith("image/")
    }

    def _data_uri(match: re.Match[str]) -> str:
        att = images.get(match.group(3).strip("<>"))
        if att is None:
            return match.group(0)
        encoded = base64.b64encode(att.data).decode("ascii")
        quote = match.group(2)
        return f"{match.group(1)}{quote}data:{att.content_type};base64,{encoded}{quote}"

    return _CID_SRC.sub(_data_uri, html)
