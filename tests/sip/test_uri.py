"""SIP, SIPS and tel URIs and name-addr values (RFC 3261 §19.1, §20.10, §25.1; RFC 3966)."""

from __future__ import annotations

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from hotline.sip.errors import SipParseError
from hotline.sip.uri import NameAddress, SipUri, uri_equal


def test_every_part_of_a_sip_uri_is_read() -> None:
    uri = SipUri.parse("sips:alice:secret@[2001:db8::1]:5061;transport=tcp;lr?subject=hi&x=y")
    assert uri.scheme == "sips"
    assert (uri.user, uri.password) == ("alice", "secret")
    assert (uri.host, uri.port) == ("2001:db8::1", 5061)
    assert uri.parameters == (("transport", "tcp"), ("lr", None))
    assert uri.headers == (("subject", "hi"), ("x", "y"))
    assert str(uri) == "sips:alice:secret@[2001:db8::1]:5061;transport=tcp;lr?subject=hi&x=y"


def test_a_uri_without_user_or_port() -> None:
    uri = SipUri.parse("sip:hotline.local")
    assert (uri.user, uri.host, uri.port, uri.parameters) == (None, "hotline.local", None, ())
    assert str(uri) == "sip:hotline.local"


def test_parameters_have_lower_case_names_and_keep_their_order() -> None:
    uri = SipUri.parse("sip:101@192.0.2.10:5062;Transport=UDP;ob;rinstance=4a1b")
    assert uri.param("transport") == "UDP"
    assert uri.param("TRANSPORT") == "UDP"
    assert uri.param("ob") == ""
    assert uri.param("maddr") is None
    assert uri.has_param("ob") and not uri.has_param("lr")
    assert str(uri) == "sip:101@192.0.2.10:5062;transport=UDP;ob;rinstance=4a1b"


def test_with_params_replaces_adds_and_without_params_removes() -> None:
    uri = SipUri.parse("sip:101@h;transport=udp;ob")
    changed = uri.with_params(transport="tcp", lr=None)
    assert str(changed) == "sip:101@h;transport=tcp;ob;lr"
    assert str(changed.without_params("OB", "lr")) == "sip:101@h;transport=tcp"
    assert str(uri) == "sip:101@h;transport=udp;ob"  # values never change


def test_escapes_are_undone_when_read_and_redone_when_written() -> None:
    uri = SipUri.parse("sip:%75se%72@example.com;n%61me=v%61lue%25%34%31")
    assert uri.user == "user"
    assert uri.param("name") == "value%41"
    assert str(uri) == "sip:user@example.com;name=value%2541"


def test_a_user_part_may_hold_semicolons_and_escaped_at_signs() -> None:
    # RFC 4475 §3.1.1.9: the user part is "user;par=u@example.net", and no URI parameter.
    uri = SipUri.parse("sip:user;par=u%40example.net@example.com")
    assert uri.user == "user;par=u@example.net"
    assert uri.parameters == ()
    assert str(uri) == "sip:user;par=u%40example.net@example.com"


def test_escaped_nulls_survive_a_round_trip() -> None:
    uri = SipUri.parse("sip:null-%00-null@example.com")
    assert uri.user == "null-\x00-null"
    assert str(uri) == "sip:null-%00-null@example.com"


def test_tel_uris_keep_the_number_in_user() -> None:
    uri = SipUri.parse("tel:+1-201-555-0123;phone-context=example.com")
    assert (uri.scheme, uri.user, uri.host) == ("tel", "+1-201-555-0123", "")
    assert uri.param("phone-context") == "example.com"
    assert str(uri) == "tel:+1-201-555-0123;phone-context=example.com"


@pytest.mark.parametrize(
    "text",
    [
        "sip:",
        "sip:user@",
        "sip:host:99999",
        "sip:ho st",
        "sip:user@host;=x",
        "sip:%zz@host",
        "sip:-host",
        "sip:host..com",
        "sip:[::1",
        "sip:host?x",
        "<sip:host>",
        "sip:user@host;lr SIP/2.0",
        "tel:",
        "tel:xyz",
        "tel:+1;=",
        "not a uri",
    ],
)
def test_malformed_uris_are_refused_with_400(text: str) -> None:
    with pytest.raises(SipParseError) as caught:
        SipUri.parse(text)
    assert caught.value.status_hint == 400


@pytest.mark.parametrize("text", ["http://example.com", "nobodyKnowsThisScheme:x", "isbn:1234"])
def test_other_schemes_are_refused_with_416(text: str) -> None:
    with pytest.raises(SipParseError) as caught:
        SipUri.parse(text)
    assert caught.value.status_hint == 416


@pytest.mark.parametrize(
    ("text", "scheme", "opaque"),
    [
        ("<mailto:alice@example.com>;tag=1", "mailto", "alice@example.com"),
        ("<urn:service:sos>", "urn", "service:sos"),
        ('"Web" <http://www.example.com/a?b=c>', "http", "//www.example.com/a?b=c"),
        ("isbn:2983792873", "isbn", "2983792873"),
    ],
)
def test_from_to_and_contact_may_hold_any_absolute_uri(text: str, scheme: str, opaque: str) -> None:
    """RFC 3261 §20.10 allows any URI in a name-addr and RFC 4475 §3.3.4 says parsers must
    not fail on one: it is kept whole, as its scheme and opaque text, and written back."""
    address = NameAddress.parse(text)
    assert (address.uri.scheme, address.uri.opaque, address.uri.is_sip) == (scheme, opaque, False)
    assert NameAddress.parse(str(address)) == address
    assert uri_equal(address.uri, SipUri.parse_any(f"{scheme}:{opaque}"))
    assert not uri_equal(address.uri, SipUri.parse_any(f"{scheme}:{opaque}x"))
    with pytest.raises(SipParseError) as caught:
        SipUri.parse(f"{scheme}:{opaque}")  # never a Request-URI
    assert caught.value.status_hint == 416


@pytest.mark.parametrize("text", ["<mailto:>", "<x:a b>", "<urn:%zz>", "<1x:y>"])
def test_other_uris_must_still_be_uris(text: str) -> None:
    with pytest.raises(SipParseError):
        NameAddress.parse(text)


# RFC 3261 §19.1.4, the examples given there.
EQUAL = [
    ("sip:%61lice@atlanta.com;transport=TCP", "sip:alice@AtLanTa.CoM;Transport=tcp"),
    ("sip:carol@chicago.com", "sip:carol@chicago.com;newparam=5"),
    ("sip:carol@chicago.com", "sip:carol@chicago.com;security=on"),
    (
        "sip:biloxi.com;transport=tcp;method=REGISTER?to=sip:bob%40biloxi.com",
        "sip:biloxi.com;method=REGISTER;transport=tcp?to=sip:bob%40biloxi.com",
    ),
    (
        "sip:alice@atlanta.com?subject=project%20x&priority=urgent",
        "sip:alice@atlanta.com?priority=urgent&subject=project%20x",
    ),
    ("tel:+1-201-555-0123", "tel:+12015550123"),
]
NOT_EQUAL = [
    ("SIP:ALICE@AtLanTa.CoM;Transport=udp", "sip:alice@AtLanTa.CoM;Transport=UDP"),
    ("sip:bob@biloxi.com", "sip:bob@biloxi.com:5060"),
    ("sip:bob@biloxi.com", "sip:bob@biloxi.com;transport=udp"),
    ("sip:bob@biloxi.com", "sip:bob@biloxi.com:6000;transport=tcp"),
    ("sip:carol@chicago.com", "sip:carol@chicago.com?Subject=next%20meeting"),
    ("sip:bob@phone21.boxesbybob.com", "sip:bob@192.0.2.4"),
    ("sip:carol@chicago.com;security=on", "sip:carol@chicago.com;security=off"),
    ("sip:alice@atlanta.com", "sips:alice@atlanta.com"),
    ("tel:+12015550123", "tel:+12015550124"),
]


@pytest.mark.parametrize(("a", "b"), EQUAL)
def test_equal_uris(a: str, b: str) -> None:
    assert uri_equal(SipUri.parse(a), SipUri.parse(b))
    assert uri_equal(SipUri.parse(b), SipUri.parse(a))


@pytest.mark.parametrize(("a", "b"), NOT_EQUAL)
def test_different_uris(a: str, b: str) -> None:
    assert not uri_equal(SipUri.parse(a), SipUri.parse(b))
    assert not uri_equal(SipUri.parse(b), SipUri.parse(a))


def test_name_addr_with_a_quoted_display_name() -> None:
    value = NameAddress.parse('"J Rosenberg \\\\\\"" <sip:jdrosen@example.com> ;tag = 98asjd8')
    assert value.display_name == 'J Rosenberg \\"'
    assert value.uri == SipUri.parse("sip:jdrosen@example.com")
    assert value.tag == "98asjd8"
    assert str(value) == '"J Rosenberg \\\\\\"" <sip:jdrosen@example.com>;tag=98asjd8'


def test_name_addr_with_token_display_name_and_no_space_before_the_bracket() -> None:
    value = NameAddress.parse("caller<sip:caller@example.com>;tag=323")
    assert (value.display_name, value.tag) == ("caller", "323")
    assert NameAddress.parse("A.  Bell <sip:a@b>").display_name == "A. Bell"


def test_in_addr_spec_form_parameters_belong_to_the_header() -> None:
    # RFC 3261 §20.10; RFC 4475 §3.3.12: unknownparam is a contact-param, not a url-param.
    value = NameAddress.parse("sip:+19725552222@gw1.example.net;unknownparam;expires=60")
    assert value.uri.parameters == ()
    assert value.parameters == (("unknownparam", None), ("expires", "60"))
    enclosed = NameAddress.parse("<sip:+19725552222@gw1.example.net;unknownparam>")
    assert enclosed.uri.param("unknownparam") == "" and enclosed.parameters == ()


def test_quoted_parameter_values_are_kept_as_written() -> None:
    value = NameAddress.parse('<sip:101@h;ob>;+sip.instance="<urn:uuid:3f2d>";q=0.5')
    assert value.param("+sip.instance") == '"<urn:uuid:3f2d>"'
    assert value.param("q") == "0.5"
    assert str(value) == '<sip:101@h;ob>;+sip.instance="<urn:uuid:3f2d>";q=0.5'


def test_with_tag_adds_or_replaces_the_tag() -> None:
    value = NameAddress.parse("<sip:102@hotline.local>")
    assert value.tag is None
    tagged = value.with_tag("a1")
    assert str(tagged) == "<sip:102@hotline.local>;tag=a1"
    assert tagged.with_tag("b2").tag == "b2"


def test_display_names_are_quoted_when_written() -> None:
    value = NameAddress(SipUri.parse("sip:101@h"), 'Desk "1" \\ support')
    assert str(value) == '"Desk \\"1\\" \\\\ support" <sip:101@h>'
    assert NameAddress.parse(str(value)) == value


def test_control_characters_in_display_names_are_written_as_quoted_pairs() -> None:
    value = NameAddress(SipUri.parse("sip:a@h"), "BEL:\x07 NUL:\x00 tab:\t line:\r\n")
    assert str(value) == '"BEL:\\\x07 NUL:\\\x00 tab:\t line:  " <sip:a@h>'
    assert NameAddress.parse(str(value)).display_name == "BEL:\x07 NUL:\x00 tab:\t line:  "


@pytest.mark.parametrize(
    "text",
    [
        '"Mr. J. User <sip:j.user@example.com>',
        '"Watson, Thomas" < sip:t.watson@example.org >',
        "Bell, Alexander <sip:a.g.bell@example.com>;tag=43",
        "sip:user@example.com?Route=%3Csip:sip.example.com%3E",
        '"Joe" <sip:joe@example.org>;;;;',
        "<sip:joe@example.org",
        '"Joe" sip:joe@example.org',
        "",
    ],
)
def test_malformed_name_addr_values_are_refused(text: str) -> None:
    with pytest.raises(SipParseError):
        NameAddress.parse(text)


URI_TEXT = st.text(alphabet="sip:tel+@;=?&%[]<>\"', .-_~!*()/$#abcAB0123456789\x00é", max_size=60)


@settings(max_examples=500, deadline=None)
@given(
    st.one_of(
        URI_TEXT,
        st.builds(lambda s: "sip:" + s, URI_TEXT),
        st.builds(lambda s: "tel:" + s, URI_TEXT),
    )
)
def test_any_text_either_parses_to_a_uri_that_writes_back_or_is_refused(text: str) -> None:
    try:
        uri = SipUri.parse(text)
    except SipParseError:
        return
    again = SipUri.parse(str(uri))
    assert again == uri and str(again) == str(uri)


@settings(max_examples=500, deadline=None)
@given(st.one_of(URI_TEXT, st.builds(lambda a, b: f"{a}<sip:{b}>;{a}", URI_TEXT, URI_TEXT)))
def test_any_text_either_parses_to_a_name_addr_that_writes_back_or_is_refused(text: str) -> None:
    try:
        value = NameAddress.parse(text)
    except SipParseError:
        return
    again = NameAddress.parse(str(value))
    assert again == value and str(again) == str(value)


@settings(max_examples=300, deadline=None)
@given(
    user=st.text(min_size=1, max_size=20),
    password=st.one_of(st.none(), st.text(max_size=10)),
    value=st.text(min_size=1, max_size=10),
)
def test_any_user_password_and_parameter_survive_escaping(
    user: str, password: str | None, value: str
) -> None:
    user = user.encode("utf-8", "surrogatepass").decode("utf-8", "replace")
    uri = SipUri(
        scheme="sip", user=user, password=password, host="example.com", parameters=(("p", value),)
    )
    try:
        text = str(uri)
    except UnicodeEncodeError:
        return  # lone surrogates cannot be written; they never come from a parser
    assert SipUri.parse(text) == uri
