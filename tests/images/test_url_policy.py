"""The URL policy against real servers on 127.0.0.1 (issue 21), with an injected resolver.

Host names such as ``images.test`` are mapped to 127.0.0.1 by a resolver the
test passes in, so no test depends on the system's DNS or reaches any address
but loopback.
"""

from __future__ import annotations

import base64
import logging

import pytest
from images.servers import body, redirect, serve

from visionkit import configure, reset_configuration
from visionkit.errors import InvalidImageError
from visionkit.images import ImageLimits, load_image, load_image_async, redact_url
from visionkit.images.urlpolicy import Guard, UrlRefused


def loopback(host: str, port: int) -> list[str]:
    """Every name resolves to 127.0.0.1: a name is treated like the address it resolves to."""
    return ["127.0.0.1"]


@pytest.fixture(scope="module")
def png(chelsea_png) -> bytes:
    return chelsea_png.read_bytes()


def test_a_redirect_to_a_refused_address_never_reaches_it(png):
    with (
        serve({"/internal-admin": body(png)}) as admin,
        serve({"/cat.png": redirect(admin.url("/internal-admin?x=1"))}) as public,
    ):
        limits = ImageLimits(resolver=loopback, allowed_hosts=("images.test",))
        with pytest.raises(InvalidImageError) as info:
            load_image(public.url("/cat.png", host="images.test"), limits=limits)
    assert "[rule: private-address]" in str(info.value)
    assert "127.0.0.1 is a loopback address" in str(info.value)
    assert len(public.requests) == 1
    assert admin.requests == []  # the refused hop sent nothing


async def test_the_async_loader_refuses_the_same_hop(png):
    with (
        serve({"/internal-admin": body(png)}) as admin,
        serve({"/cat.png": redirect(admin.url("/internal-admin"))}) as public,
    ):
        limits = ImageLimits(resolver=loopback, allowed_hosts=("images.test",))
        with pytest.raises(InvalidImageError, match=r"rule: private-address"):
            await load_image_async(public.url("/cat.png", host="images.test"), limits=limits)
    assert admin.requests == []


@pytest.mark.parametrize(
    "limits",
    [
        pytest.param(ImageLimits(allow_private=True), id="allow_private"),
        pytest.param(ImageLimits(allowed_hosts=("127.0.0.1",)), id="allowed_hosts-address"),
        pytest.param(ImageLimits(allowed_hosts=("127.0.0.0/8",)), id="allowed_hosts-network"),
    ],
)
def test_the_allow_options_let_a_private_redirect_through(png, limits):
    with (
        serve({"/internal": body(png)}) as target,
        serve({"/cat.png": redirect(target.url("/internal"))}) as first,
    ):
        loaded = load_image(first.url("/cat.png"), limits=limits)
    assert loaded.format == "PNG"
    assert len(target.requests) == 1


def test_a_host_name_that_resolves_to_loopback_is_loopback(png):
    with serve({"/cat.png": body(png)}) as server, pytest.raises(InvalidImageError) as info:
        load_image(
            server.url("/cat.png", host="innocent.example"),
            limits=ImageLimits(resolver=loopback),
        )
    assert "innocent.example resolves to 127.0.0.1, a loopback address" in str(info.value)
    assert server.requests == []


def test_by_default_even_the_first_url_may_not_be_private(png):
    with (
        serve({"/cat.png": body(png)}) as server,
        pytest.raises(InvalidImageError, match=r"allow_private or add the host"),
    ):
        load_image(server.url("/cat.png"))
    assert server.requests == []


def test_configure_images_sets_the_policy_for_every_caller(png):
    with serve({"/cat.png": body(png)}) as server:
        configure(images={"allowed_hosts": ["127.0.0.1"]})
        try:
            assert load_image(server.url("/cat.png")).format == "PNG"
        finally:
            reset_configuration()


def test_the_environment_sets_the_policy(png, monkeypatch):
    monkeypatch.setenv("VISIONKIT_IMAGES_ALLOW_PRIVATE", "1")
    with serve({"/cat.png": body(png)}) as server:
        assert load_image(server.url("/cat.png")).format == "PNG"


def test_no_redirects_at_all(png):
    with (
        serve({"/a": redirect("/b"), "/b": body(png)}) as server,
        pytest.raises(InvalidImageError, match=r"no redirects are allowed.*rule: redirects"),
    ):
        load_image(server.url("/a"), limits=ImageLimits(allow_private=True, max_redirects=0))
    assert [path for path, _ in server.requests] == ["/a"]


def test_a_redirect_to_a_data_url_is_refused_by_the_scheme_rule():
    with (
        serve({"/a": redirect("data:image/png;base64,iVBORw0KGgo=")}) as server,
        pytest.raises(InvalidImageError, match=r"scheme is 'data'.*rule: scheme"),
    ):
        load_image(server.url("/a"), limits=ImageLimits(allow_private=True))


def test_credentials_go_to_the_first_host_only_and_never_into_logs(png, caplog):
    caplog.set_level(logging.DEBUG)
    with serve({"/c.png": body(png)}) as cdn:
        target = cdn.url("/c.png", host="cdn.test")
        with serve({"/cat.png": redirect(target)}) as first:
            url = f"http://alice:s3cretpw@images.test:{first.port}/cat.png"
            limits = ImageLimits(resolver=loopback, allowed_hosts=("images.test", "cdn.test"))
            loaded = load_image(url, limits=limits)
    assert loaded.format == "PNG"
    ((path, headers),) = first.requests
    expected = "Basic " + base64.b64encode(b"alice:s3cretpw").decode()
    assert headers["Authorization"] == expected
    assert "s3cretpw" not in path
    ((_, cdn_headers),) = cdn.requests
    assert "Authorization" not in cdn_headers
    assert caplog.records  # the download was logged, at DEBUG, without the password
    assert "s3cretpw" not in caplog.text and "alice" not in caplog.text
    assert "s3cretpw" not in loaded.source


class _FormatsFirst(logging.Filter):
    """Formats the message and drops the arguments, as the backends' secret filter does."""

    def filter(self, record: logging.LogRecord) -> bool:
        record.msg, record.args = record.getMessage(), ()
        return True


@pytest.mark.parametrize("formatted_first", [False, True])
async def test_query_secrets_stay_out_of_httpx_log_lines_with_a_callers_client(
    png, caplog, monkeypatch, formatted_first
):
    import httpx

    # Only the filters this test sets: ours is then added after, as in a long-running process.
    earlier = [_FormatsFirst()] if formatted_first else []
    monkeypatch.setattr(logging.getLogger("httpx"), "filters", earlier)
    caplog.set_level(logging.DEBUG)
    with serve({"/c.png": body(png)}) as server:
        url = server.url("/c.png") + "?sig=SIGSECRET1&X-Amz-Signature=AMZSECRET1&size=2"
        limits = ImageLimits(allow_private=True)
        with httpx.Client() as client:
            load_image(url, limits=limits, http_client=client)
        async with httpx.AsyncClient() as aclient:
            await load_image_async(url, limits=limits, http_client=aclient)
    lines = [r.getMessage() for r in caplog.records if r.name == "httpx"]
    assert len([line for line in lines if line.startswith("HTTP Request")]) == 2
    assert "sig=REDACTED" in caplog.text and "size=2" in caplog.text
    assert "SIGSECRET1" not in caplog.text and "AMZSECRET1" not in caplog.text


def test_errors_name_the_url_without_its_password():
    url = "http://bob:hunter22@127.0.0.1:9/x.png?sig=abc&size=2"
    with pytest.raises(InvalidImageError) as info:
        load_image(url)
    message = str(info.value)
    assert "hunter22" not in message and "bob" not in message and "abc" not in message
    assert "http://127.0.0.1:9/x.png?sig=REDACTED&size=2" in message


@pytest.mark.parametrize(
    ("url", "shown"),
    [
        ("https://u:p@h.example/x?key=K&a=1", "https://h.example/x?key=REDACTED&a=1"),
        (
            "https://h/x?X-Amz-Signature=S&X-Amz-Credential=C",
            "https://h/x?X-Amz-Signature=REDACTED&X-Amz-Credential=REDACTED",
        ),
        ("https://h/x?sv=1&sig=S", "https://h/x?sv=1&sig=REDACTED"),
        (
            "https://h/x?access_token=T&subscription-key=K",
            "https://h/x?access_token=REDACTED&subscription-key=REDACTED",
        ),
        ("http://[::1:bad/?token=T", "http://[::1:bad/?token=REDACTED"),
        ("https://a@b:c@h/x", "https://h/x"),
    ],
)
def test_redact_url(url, shown):
    assert redact_url(url) == shown


@pytest.mark.parametrize(
    "url",
    ["http://[::1]:bad/x.png", "http://images.example/a\x00b.png", "http:///x.png", "http://a b/x"],
)
def test_malformed_urls_are_invalid_image_errors(url):
    with pytest.raises(InvalidImageError, match="not a valid URL"):
        load_image(url)


def test_a_public_server_may_not_redirect_into_a_private_network_even_with_allow_private():
    answers = {"cdn.example": ["203.0.113.7", "93.184.216.34"], "admin": ["10.0.0.5"]}
    guard = Guard(ImageLimits(allow_private=True, resolver=lambda host, port: answers[host]))
    guard.addresses("admin", 80)  # a first URL on the private network: allowed by the option
    guard.previous_public = True  # ... but not after a hop that reached a public address
    with pytest.raises(UrlRefused) as info:
        guard.addresses("admin", 80)
    assert info.value.rule == "redirect-into-private"
    listed = Guard(ImageLimits(allowed_hosts=("admin",), resolver=lambda h, p: answers[h]))
    listed.previous_public = True
    assert listed.addresses("admin", 80) == ["10.0.0.5"]


@pytest.mark.parametrize(
    ("address", "kind"),
    [
        ("169.254.169.254", "link-local"),
        ("10.1.2.3", "private"),
        ("::ffff:127.0.0.1", "loopback"),
        ("0.0.0.0", "unspecified"),
        ("224.0.0.1", "multicast"),
        ("100.64.0.1", "reserved"),
        ("fd00::1", "private"),
    ],
)
def test_every_non_public_kind_is_refused_by_default(address, kind):
    guard = Guard(ImageLimits(resolver=lambda host, port: [address]))
    with pytest.raises(UrlRefused, match=f"a {kind} address"):
        guard.addresses("host.example", 443)


def test_one_private_answer_refuses_the_host():
    guard = Guard(ImageLimits(resolver=lambda host, port: ["93.184.216.34", "127.0.0.1"]))
    with pytest.raises(UrlRefused, match=r"127\.0\.0\.1"):
        guard.addresses("mixed.example", 443)
