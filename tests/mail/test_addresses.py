"""The recipient's address is split without the RFC 5322 parser only when the parser
would return it unchanged; every other address still goes through the parser."""

from __future__ import annotations

from email.headerregistry import Address

import pytest

from app.mail.mime import recipient
from app.mail.services import HeaderInjection

PLAIN = [
    "learner1@example.com",
    "first.last+tag@sub.example.co.uk",
    "o'brien@example.de",
    "a_b-c=d@x-y.example",
]
PARSED = ['"quoted name"@example.com', "a@localhost", "a@[192.0.2.1]", "a@x_y.de"]
REFUSED = ["a..b@example.com", ".a@example.com", "ä@example.com", "a@b@c.de", "a@x.de."]


@pytest.mark.parametrize("address", PLAIN + PARSED)
def test_the_recipient_is_what_the_parser_reads(address: str) -> None:
    parsed = Address(display_name="Ada Lovelace", addr_spec=address)
    fast = recipient("Ada Lovelace", address)
    assert (fast.display_name, fast.username, fast.domain, fast.addr_spec) == (
        parsed.display_name,
        parsed.username,
        parsed.domain,
        parsed.addr_spec,
    )


@pytest.mark.parametrize("address", REFUSED)
def test_an_address_the_parser_refuses_is_refused(address: str) -> None:
    with pytest.raises(Exception) as by_parser:
        Address(display_name="Ada", addr_spec=address)
    with pytest.raises(type(by_parser.value)):
        recipient("Ada", address)


def test_header_injection_in_the_address_is_refused() -> None:
    with pytest.raises(HeaderInjection):
        recipient("Ada", "ada@example.com\r\nBcc: eve@example.com")
